// The global presence switch: visible, away or invisible. Invisible is
// indistinguishable from being offline for every contact.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto.Ui

ActionButton {
    id: selector
    objectName: "presenceSelector"
    required property SessionController session
    kind: "flat"
    enabled: session.online
    padding: 4
    leftPadding: 6
    rightPadding: 8

    readonly property var modes: [
        { mode: SessionController.Visible, presence: "online", title: qsTr("Visible"),
          detail: qsTr("Contacts see you online") },
        { mode: SessionController.Away, presence: "away", title: qsTr("Away"),
          detail: qsTr("Contacts see you away") },
        { mode: SessionController.Invisible, presence: "offline", title: qsTr("Invisible"),
          detail: qsTr("You look offline to everyone") }
    ]
    readonly property var current: modes[Math.max(0, session.presenceMode - 1)]

    contentItem: RowLayout {
        spacing: 6
        PresenceDot { presence: selector.current.presence; ring: "transparent"; size: 10 }
        Label {
            text: selector.current.title
            font.pixelSize: 12
            color: Theme.subtleText
        }
        Label { text: "▾"; font.pixelSize: 10; color: Theme.faintText }
    }

    onClicked: menu.popup(selector, 0, selector.height)

    component ModeItem: MenuItem {
        id: item
        property var mode
        objectName: "presence_" + mode.title
        checkable: true
        checked: selector.session.presenceMode === mode.mode
        onTriggered: selector.session.presenceMode = mode.mode
        contentItem: RowLayout {
            spacing: 10
            PresenceDot { presence: item.mode.presence; ring: "transparent"; size: 10 }
            ColumnLayout {
                spacing: 0
                Label { text: item.mode.title; font.bold: true }
                Label { text: item.mode.detail; font.pixelSize: 11; color: Theme.subtleText }
            }
        }
    }

    Menu {
        id: menu
        objectName: "presenceMenu"
        width: 260
        ModeItem { mode: selector.modes[0] }
        ModeItem { mode: selector.modes[1] }
        ModeItem { mode: selector.modes[2] }
    }
}
