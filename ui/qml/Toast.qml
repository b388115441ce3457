// A short message at the bottom of the window that goes away by itself.
import QtQuick
import QtQuick.Controls
import Sotto.Ui

Popup {
    id: toast
    objectName: "toast"
    property alias text: label.text

    parent: Overlay.overlay
    x: (parent.width - width) / 2
    y: parent.height - height - 28
    width: Math.min(label.implicitWidth + 2 * padding, parent.width - 80)
    padding: 12
    leftPadding: 18
    rightPadding: 18
    closePolicy: Popup.CloseOnPressOutside
    modal: false
    focus: false

    background: Rectangle {
        radius: 10
        color: Theme.dark ? "#e8eaed" : "#2b2e33"
    }
    contentItem: Label {
        id: label
        wrapMode: Text.Wrap
        color: Theme.dark ? "#1c1d20" : "#f2f3f5"
    }

    Timer {
        id: hide
        interval: 4000
        onTriggered: toast.close()
    }

    function show(message) {
        text = message;
        open();
        hide.restart();
    }
}
