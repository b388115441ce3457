// A one-line text field with the app's look: rounded, the accent colour
// around it while focused.
import QtQuick
import QtQuick.Controls
import Sotto.Ui

TextField {
    id: field
    leftPadding: 10
    rightPadding: 10
    topPadding: 8
    bottomPadding: 8
    selectByMouse: true
    placeholderTextColor: Theme.faintText
    background: Rectangle {
        implicitWidth: 200
        implicitHeight: 36
        radius: 7
        color: Theme.field
        border.width: field.activeFocus ? 2 : 1
        border.color: field.activeFocus ? Theme.accent : Theme.border
    }
}
