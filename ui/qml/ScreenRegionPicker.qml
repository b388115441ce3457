// Picking the part of a screen grab that holds a QR code: the grab fills
// the screen, dimmed; the user drags a rectangle around the code; Esc
// cancels. A refusal (no code there, expired, ...) is shown and the user
// can try again.
import QtQuick
import QtQuick.Controls
import QtQuick.Window
import Sotto.Ui

Window {
    id: picker
    objectName: "screenRegionPicker"

    required property InviteController invites
    property string error: ""

    signal picked()
    signal cancelled()

    flags: Qt.Window | Qt.FramelessWindowHint | Qt.WindowStaysOnTopHint
    color: "black"
    title: qsTr("Select the QR code")

    Image {
        id: shot
        anchors.fill: parent
        source: picker.invites.screenSource
        fillMode: Image.Stretch
        cache: false
    }
    Rectangle { anchors.fill: parent; color: Qt.rgba(0, 0, 0, 0.45) }

    // The selection, drawn undimmed.
    Item {
        id: selection
        visible: width > 0 && height > 0
        clip: true
        Image {
            x: -selection.x
            y: -selection.y
            width: shot.width
            height: shot.height
            source: shot.source
            fillMode: Image.Stretch
            cache: false  // a picture of the user's screen: never kept
        }
        Rectangle {
            anchors.fill: parent
            color: "transparent"
            border.color: "#4c8df6"
            border.width: 2
        }
    }

    Rectangle {
        anchors.horizontalCenter: parent.horizontalCenter
        y: 40
        width: hint.implicitWidth + 32
        height: hint.implicitHeight + 20
        radius: 10
        color: Qt.rgba(0, 0, 0, 0.75)
        Label {
            id: hint
            anchors.centerIn: parent
            color: picker.error === "" ? "white" : "#ff9a9a"
            text: picker.error !== "" ? picker.error
                : qsTr("Drag a rectangle around the QR code. Esc cancels.")
        }
    }

    MouseArea {
        anchors.fill: parent
        cursorShape: Qt.CrossCursor
        property point start
        onPressed: function (mouse) {
            start = Qt.point(mouse.x, mouse.y);
            selection.x = mouse.x;
            selection.y = mouse.y;
            selection.width = 0;
            selection.height = 0;
            picker.error = "";
        }
        onPositionChanged: function (mouse) {
            selection.x = Math.min(start.x, mouse.x);
            selection.y = Math.min(start.y, mouse.y);
            selection.width = Math.abs(mouse.x - start.x);
            selection.height = Math.abs(mouse.y - start.y);
        }
        onReleased: {
            const e = picker.invites.acceptScreenRegion(selection.x / picker.width,
                                                        selection.y / picker.height,
                                                        selection.width / picker.width,
                                                        selection.height / picker.height);
            if (e === "") {
                picker.close();
                picker.picked();
            } else {
                picker.error = e;
            }
        }
    }

    Shortcut {
        sequence: "Esc"
        onActivated: {
            picker.close();
            picker.invites.dropScreen();
            picker.cancelled();
        }
    }
}
