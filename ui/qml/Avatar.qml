// A round avatar with the contact's initials on a colour picked from their
// name, and optionally their presence dot at the bottom right.
import QtQuick
import QtQuick.Controls
import Sotto.Ui

Item {
    id: avatar
    property string name: ""
    property string initials: "?"
    property string presence: ""
    property color ring: Theme.base
    property int size: Theme.avatarSize

    width: size
    height: size

    Rectangle {
        anchors.fill: parent
        radius: width / 2
        color: Theme.avatarColor(avatar.name)
        Label {
            anchors.centerIn: parent
            text: avatar.initials
            color: "white"
            font.pixelSize: avatar.size * 0.4
            font.bold: true
        }
    }
    PresenceDot {
        visible: avatar.presence !== ""
        presence: avatar.presence
        ring: avatar.ring
        size: Math.max(10, avatar.size * 0.32)
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        anchors.rightMargin: -1
        anchors.bottomMargin: -1
    }
}
