// The app's push button: "accent" for the main action of a screen or
// dialog, "danger" for destructive ones, "plain" for the rest, "flat" for
// a text-only button. A checkable button shows its checked state filled
// (segmented choices such as an invite's validity).
import QtQuick
import QtQuick.Controls
import Sotto.Ui

Button {
    id: button
    property string kind: "plain"
    readonly property bool filled: kind === "accent" || kind === "danger" || (checkable && checked)
    readonly property color fill: kind === "danger" ? Theme.dangerFill
                                : filled ? Theme.accent
                                : kind === "flat" ? "transparent" : Theme.field

    padding: 7
    leftPadding: 16
    rightPadding: 16
    font.weight: filled ? Font.DemiBold : Font.Normal

    contentItem: Label {
        text: button.text
        font: button.font
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        elide: Text.ElideRight
        color: button.filled ? (button.kind === "danger" ? "white" : Theme.accentText)
             : button.kind === "flat" && button.palette.buttonText !== Theme.pal.buttonText
               ? button.palette.buttonText : Theme.text
    }

    background: Rectangle {
        implicitWidth: 72
        implicitHeight: 34
        radius: 7
        opacity: button.enabled ? 1 : 0.45
        color: button.down ? Qt.darker(button.fill, button.filled ? 1.18 : 1.06)
             : button.hovered && button.filled ? Qt.lighter(button.fill, 1.08)
             : button.hovered && !button.filled ? Theme.hover
             : button.fill
        border.width: button.visualFocus ? 2 : button.kind === "plain" && !button.filled ? 1 : 0
        border.color: button.visualFocus ? Qt.lighter(Theme.accent, 1.3) : Theme.border
    }
}
