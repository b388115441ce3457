// Inviting someone: a one-time code, shown as a QR code and as text with a
// copy button, valid for 1 hour, 1 day (the default) or 7 days. Changing the
// validity replaces the code (the old one is withdrawn). When someone uses
// the code the dialog closes and says who; when someone tries it without
// using it (they saw you online), a warning line says so.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto.Ui

AppDialog {
    id: dialog
    objectName: "inviteDialog"

    required property SessionController session
    readonly property InviteController invites: session.invites
    // A day by default: an unused code tells whoever holds it when you are
    // online, so it should not outlive the meeting it was made for.
    property int hours: 24
    property string error: ""
    property bool copied: false

    // Someone used the code shown here.
    signal inviteUsed(string name)

    width: Math.min(parent.width - 48, 470)
    title: qsTr("Invite someone")

    ColumnLayout {
        width: parent.width
        spacing: 12

        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.subtleText
            text: qsTr("The code works once: whoever uses it first becomes your contact. Show the QR code or send the text privately, only to the person you mean.")
        }

        RowLayout {
            spacing: 8
            Label { text: qsTr("Valid for") }
            ButtonGroup { id: validity }
            Repeater {
                model: [{ h: 1, label: qsTr("1 hour") }, { h: 24, label: qsTr("1 day") },
                        { h: 24 * 7, label: qsTr("7 days") }]
                delegate: ActionButton {
                    required property var modelData
                    objectName: "validity_" + modelData.h
                    text: modelData.label
                    checkable: true
                    checked: dialog.hours === modelData.h
                    leftPadding: 12
                    rightPadding: 12
                    ButtonGroup.group: validity
                    onClicked: dialog.setHours(modelData.h)
                }
            }
        }

        // The QR code on white whatever the theme: scanners expect dark on light.
        Rectangle {
            Layout.alignment: Qt.AlignHCenter
            width: 232
            height: 232
            radius: 8
            color: "white"
            border.color: Theme.divider
            visible: dialog.invites.code !== ""
            Image {
                id: qr
                objectName: "inviteQr"
                anchors.centerIn: parent
                width: 216
                height: 216
                sourceSize: Qt.size(216, 216)
                source: dialog.invites.qrSource
                // An invite code is a secret: not kept in Qt's pixmap cache
                // once the dialog lets go of it.
                cache: false
                smooth: false
                fillMode: Image.PreserveAspectFit
            }
        }

        Spinner {
            Layout.alignment: Qt.AlignHCenter
            running: dialog.invites.code === "" && dialog.error === ""
        }
        Label {
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            visible: !dialog.invites.available
            color: Theme.subtleText
            wrapMode: Text.Wrap
            text: qsTr("Sotto is still connecting; the code appears once it is online.")
        }

        TextArea {
            id: codeText
            objectName: "inviteCode"
            Layout.fillWidth: true
            visible: dialog.invites.code !== ""
            readOnly: true
            selectByMouse: true
            wrapMode: TextEdit.WrapAnywhere
            font.family: "monospace"
            font.pixelSize: 12
            text: dialog.invites.code
            background: Rectangle {
                color: Theme.window
                border.color: Theme.divider
                radius: 4
            }
        }

        RowLayout {
            Layout.fillWidth: true
            visible: dialog.invites.code !== ""
            spacing: 8
            ActionButton {
                objectName: "copyInviteButton"
                text: dialog.copied ? qsTr("Copied ✓") : qsTr("Copy code")
                kind: "accent"
                onClicked: {
                    dialog.invites.copyCode();
                    dialog.copied = true;
                }
            }
            Label {
                Layout.fillWidth: true
                elide: Text.ElideRight
                font.pixelSize: 12
                color: Theme.subtleText
                text: dialog.invites.expiresText
            }
            ActionButton {
                kind: "flat"
                text: qsTr("Withdraw")
                palette.buttonText: Theme.danger
                onClicked: {
                    dialog.error = dialog.invites.withdraw();
                    if (dialog.error === "")
                        dialog.close();
                }
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Make this code stop working now")
                ToolTip.delay: 600
            }
        }

        Label {
            objectName: "inviteProbes"
            Layout.fillWidth: true
            visible: text !== ""
            wrapMode: Text.Wrap
            color: Theme.danger
            text: dialog.invites.probeText
        }

        ErrorLabel {
            Layout.fillWidth: true
            text: dialog.error
        }
    }

    footer: DialogButtons {
        ActionButton {
            text: qsTr("Done")
            DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
        }
    }

    Connections {
        target: dialog.invites
        function onInviteAccepted(contact, name) {
            dialog.close();
            dialog.inviteUsed(name);
        }
        function onAvailableChanged() {
            if (dialog.opened && dialog.invites.available && dialog.invites.code === "")
                dialog.create();
        }
    }

    // Opened with Ctrl+N or a button: a fresh code with the chosen validity.
    function openFresh() {
        error = "";
        copied = false;
        open();
        if (invites.code === "" && invites.available)
            create();
    }
    function create() {
        copied = false;
        error = invites.create(hours);
    }
    function setHours(h) {
        if (h === hours)
            return;
        hours = h;
        if (invites.code !== "") {
            // The shown code had the old validity: replace it.
            invites.withdraw();
            create();
        }
    }

    // Closing forgets the code on screen; the invite itself stays valid.
    onClosed: {
        invites.clear();
        copied = false;
    }
}
