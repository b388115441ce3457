// Writing a message: Enter sends, Shift+Enter starts a new line. Shows how
// much room is left near the maximum length and refuses to send past it
// with a clear message.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto.Ui

Rectangle {
    id: composer

    required property ChatModel chat
    property alias text: input.text
    property alias input: input
    property string error: ""
    readonly property int bytes: chat.utf8Length(input.text)
    readonly property bool tooLong: bytes > chat.maxBodyBytes

    // The pane decides whether to ask first (presence warning).
    signal sendRequested(string text)
    signal sent()

    color: Theme.window
    implicitHeight: layout.implicitHeight + 20

    Rectangle { anchors.top: parent.top; width: parent.width; height: 1; color: Theme.divider }

    ColumnLayout {
        id: layout
        anchors.fill: parent
        anchors.margins: 10
        anchors.leftMargin: 14
        anchors.rightMargin: 14
        spacing: 4

        RowLayout {
            Layout.fillWidth: true
            spacing: 8

            ScrollView {
                id: scroll
                Layout.fillWidth: true
                Layout.preferredHeight: Math.min(Math.max(input.implicitHeight, 40), 160)
                TextArea {
                    id: input
                    objectName: "composerInput"
                    placeholderText: composer.chat.canSend ? qsTr("Write a message…")
                                                           : qsTr("Connecting… you can write once online")
                    enabled: composer.chat.canSend
                    wrapMode: TextEdit.Wrap
                    textFormat: TextEdit.PlainText
                    font.pixelSize: 14
                    topPadding: 10
                    bottomPadding: 10
                    leftPadding: 12
                    rightPadding: 12
                    background: Rectangle {
                        radius: 20
                        color: Theme.base
                        border.color: input.activeFocus ? Theme.accent : Theme.divider
                    }
                    onTextChanged: composer.error = ""
                    Keys.onPressed: function (event) {
                        if ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter)
                                && !(event.modifiers & Qt.ShiftModifier)) {
                            event.accepted = true;
                            composer.submit();
                        }
                    }
                }
            }

            RoundButton {
                id: sendButton
                objectName: "sendButton"
                Layout.alignment: Qt.AlignBottom
                implicitWidth: 40
                implicitHeight: 40
                enabled: composer.chat.canSend && input.text.trim() !== "" && !composer.tooLong
                onClicked: composer.submit()
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Send (Enter)")
                ToolTip.delay: 600
                background: Rectangle {
                    radius: width / 2
                    color: !sendButton.enabled ? Theme.hover
                         : sendButton.down ? Qt.darker(Theme.accent, 1.15) : Theme.accent
                }
                contentItem: Item {
                    // A paper plane: two triangles.
                    Canvas {
                        id: plane
                        anchors.centerIn: parent
                        width: 18
                        height: 18
                        property color fill: sendButton.enabled ? Theme.accentText : Theme.faintText
                        onFillChanged: requestPaint()
                        onPaint: {
                            const ctx = getContext("2d");
                            ctx.reset();
                            ctx.fillStyle = fill;
                            ctx.beginPath();
                            ctx.moveTo(1, 1);
                            ctx.lineTo(17, 9);
                            ctx.lineTo(1, 17);
                            ctx.lineTo(4, 9);
                            ctx.closePath();
                            ctx.fill();
                        }
                    }
                }
            }
        }

        RowLayout {
            Layout.fillWidth: true
            visible: composer.error !== "" || composer.bytes > composer.chat.maxBodyBytes * 0.8
            ErrorLabel {
                objectName: "composerError"
                Layout.fillWidth: true
                font.pixelSize: 12
                text: composer.error !== "" ? composer.error
                    : composer.tooLong ? qsTr("Too long to send: at most %1 bytes fit in one message.").arg(composer.chat.maxBodyBytes)
                    : ""
            }
            Label {
                font.pixelSize: 11
                color: composer.tooLong ? Theme.danger : Theme.faintText
                text: qsTr("%1 / %2").arg(composer.bytes).arg(composer.chat.maxBodyBytes)
            }
        }
    }

    function submit() {
        const t = input.text.trim();
        if (t === "" || !chat.canSend)
            return;
        if (tooLong) {
            error = qsTr("Too long to send: at most %1 bytes fit in one message.").arg(chat.maxBodyBytes);
            return;
        }
        sendRequested(t);
    }

    // Called by the pane once it is fine to send.
    function send(t) {
        const e = chat.send(t);
        if (e !== "")
            error = e;
        else {
            input.text = "";
            sent();
        }
    }
}
