// One row of the contact list: avatar with presence dot, name, time of the
// last message, a status line and the unread badge.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto.Ui

ItemDelegate {
    id: row

    required property int index
    required property var contactId
    required property string name
    required property string initials
    required property string presence
    required property int unread
    required property string lastActivityText
    required property bool appearOffline
    required property bool pending
    required property bool inviteExpired
    property bool selected: false

    signal menuRequested(Item item)

    objectName: "contact_" + name
    height: 62
    leftPadding: 14
    rightPadding: 14

    background: Rectangle {
        anchors.fill: parent
        anchors.leftMargin: 6
        anchors.rightMargin: 6
        radius: Theme.radius
        color: row.selected ? Theme.selected : row.hovered ? Theme.hover : "transparent"
    }

    contentItem: RowLayout {
        spacing: 12
        Avatar {
            name: row.name
            initials: row.initials
            presence: row.presence
            ring: Theme.sidebar
            size: 40
        }
        ColumnLayout {
            Layout.fillWidth: true
            spacing: 2
            RowLayout {
                Layout.fillWidth: true
                spacing: 6
                Label {
                    Layout.fillWidth: true
                    text: row.name
                    elide: Text.ElideRight
                    font.bold: row.unread > 0
                    font.pixelSize: 14
                }
                Label {
                    text: row.lastActivityText
                    font.pixelSize: 11
                    color: row.unread > 0 ? Theme.accent : Theme.faintText
                }
            }
            RowLayout {
                Layout.fillWidth: true
                spacing: 6
                Label {
                    Layout.fillWidth: true
                    elide: Text.ElideRight
                    font.pixelSize: 12
                    color: Theme.subtleText
                    text: row.inviteExpired ? qsTr("Invite expired — ask for a new code")
                        : row.pending ? qsTr("Waiting for their answer")
                        : row.appearOffline ? qsTr("%1 · you appear offline").arg(Theme.presenceText(row.presence))
                        : Theme.presenceText(row.presence)
                }
                Rectangle {
                    objectName: "unreadBadge"
                    visible: row.unread > 0
                    implicitHeight: 18
                    implicitWidth: Math.max(18, badgeText.implicitWidth + 10)
                    radius: 9
                    color: Theme.accent
                    Label {
                        id: badgeText
                        anchors.centerIn: parent
                        text: row.unread > 99 ? "99+" : row.unread
                        color: Theme.accentText
                        font.pixelSize: 11
                        font.bold: true
                    }
                }
            }
        }
    }

    TapHandler {
        acceptedButtons: Qt.RightButton
        onTapped: row.menuRequested(row)
    }
}
