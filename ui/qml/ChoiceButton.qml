// A radio button whose circle follows the theme: the style's own indicator
// is dark on dark in the dark palette.
import QtQuick
import QtQuick.Controls
import Sotto.Ui

RadioButton {
    id: control
    Accessible.name: text
    indicator: Rectangle {
        implicitWidth: 16
        implicitHeight: 16
        x: control.leftPadding
        y: control.topPadding + (control.availableHeight - height) / 2
        radius: 8
        color: Theme.field
        border.width: control.visualFocus ? 2 : 1
        border.color: control.checked || control.visualFocus ? Theme.accent : Theme.border
        Rectangle {
            anchors.centerIn: parent
            width: 8
            height: 8
            radius: 4
            color: Theme.accent
            visible: control.checked
        }
    }
}
