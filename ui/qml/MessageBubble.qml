// One message: our own on the right in the accent colour, theirs on the
// left; the time and (for ours) the delivery state under the text; a day
// separator above the first message of each day. Bodies are plain text,
// never rich text: nothing a contact sends is interpreted.
import QtQuick
import QtQuick.Controls
import Sotto.Ui

Item {
    id: message

    required property int index
    required property string body
    required property bool outgoing
    required property string deliveryState
    required property string timeText
    required property string deliveredText
    required property string dayText
    required property bool firstOfDay

    readonly property real maxBubbleWidth: Math.min(560, Math.max(180, width * 0.72))
    readonly property color textColor: outgoing ? Theme.bubbleOutText : Theme.bubbleInText

    height: column.height + 4

    Column {
        id: column
        width: parent.width
        spacing: 4

        Item {
            visible: message.firstOfDay
            width: parent.width
            height: visible ? 36 : 0
            Rectangle {
                anchors.centerIn: parent
                width: dayLabel.implicitWidth + 20
                height: dayLabel.implicitHeight + 8
                radius: height / 2
                color: Theme.hover
                Label {
                    id: dayLabel
                    anchors.centerIn: parent
                    text: message.dayText
                    font.pixelSize: 11
                    color: Theme.subtleText
                }
            }
        }

        Item {
            width: parent.width
            height: bubble.height

            Rectangle {
                id: bubble
                anchors.right: message.outgoing ? parent.right : undefined
                anchors.left: message.outgoing ? undefined : parent.left
                anchors.rightMargin: 16
                anchors.leftMargin: 16
                width: Math.max(text.width, footer.width) + 24
                height: text.height + footer.height + 16
                radius: Theme.bubbleRadius
                color: message.outgoing ? Theme.bubbleOut : Theme.bubbleIn
                border.color: message.outgoing ? "transparent" : Theme.bubbleInBorder

                TextEdit {
                    id: text
                    x: 12
                    y: 7
                    width: Math.min(implicitWidth, message.maxBubbleWidth - 24)
                    text: message.body
                    textFormat: TextEdit.PlainText
                    wrapMode: TextEdit.Wrap
                    readOnly: true
                    selectByMouse: true
                    color: message.textColor
                    selectionColor: message.outgoing ? Qt.darker(Theme.accent, 1.4) : Theme.accent
                    selectedTextColor: Theme.accentText
                    font.pixelSize: 14
                }
                Row {
                    id: footer
                    anchors.right: parent.right
                    anchors.rightMargin: 10
                    anchors.top: text.bottom
                    anchors.topMargin: 1
                    spacing: 4
                    Label {
                        text: message.timeText
                        font.pixelSize: 10
                        color: message.textColor
                        opacity: 0.7
                    }
                    DeliveryMark {
                        objectName: "deliveryMark"
                        anchors.verticalCenter: parent.verticalCenter
                        visible: message.outgoing
                        deliveryState: message.deliveryState
                        color: message.textColor
                        opacity: message.deliveryState === "delivered" ? 0.95 : 0.7
                    }
                }
                HoverHandler { id: hover }
                ToolTip.visible: hover.hovered && message.outgoing
                ToolTip.delay: 800
                ToolTip.text: message.deliveryState === "queued" ? qsTr("Waiting to be sent")
                            : message.deliveryState === "sent" ? qsTr("Sent, not yet delivered")
                            : message.deliveryState === "failed" ? qsTr("Not sent: the invite expired before they answered")
                            : message.deliveredText
            }
        }
    }
}
