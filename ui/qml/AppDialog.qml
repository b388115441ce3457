// A modal dialog with the app's look: centred over the window (which is
// dimmed), rounded, a bold title with room around it. Content and footer
// (DialogButtons) come from each dialog.
import QtQuick
import QtQuick.Controls
import Sotto.Ui

Dialog {
    id: dialog
    parent: Overlay.overlay
    anchors.centerIn: parent
    modal: true
    padding: 22
    topPadding: 6
    bottomPadding: 10

    Overlay.modal: Rectangle { color: Qt.rgba(0, 0, 0, Theme.dark ? 0.5 : 0.32) }

    background: Item {
        // A soft shadow: a few translucent layers, each a bit larger and lower.
        Repeater {
            model: 4
            Rectangle {
                required property int index
                anchors.fill: parent
                anchors.margins: -(index + 1)
                anchors.topMargin: -(index + 1) + (index + 1) * 1.5
                anchors.bottomMargin: -(index + 1) - (index + 1) * 1.5
                radius: 12 + index + 1
                color: Qt.rgba(0, 0, 0, Theme.dark ? 0.10 : 0.035)
            }
        }
        Rectangle {
            anchors.fill: parent
            radius: 12
            color: Theme.dark ? Qt.lighter(Theme.window, 1.12) : Theme.base
            border.color: Theme.border
        }
    }

    header: Label {
        text: dialog.title
        visible: text !== ""
        font.pixelSize: 17
        font.bold: true
        elide: Text.ElideRight
        leftPadding: 22
        rightPadding: 22
        topPadding: 20
        bottomPadding: 8
    }
}
