// The contact menu and what it opens: rename, safety number, appear offline
// to this contact, and revoke (after a confirmation that says it is silent
// and final). A contact whose invite expired unanswered is "removed"
// instead: the same action, but there is nobody to hide from yet.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto.Ui

Item {
    id: dialogs

    required property SessionController session
    readonly property ContactActions actions: session.contactActions
    property var contact: 0
    property string name: ""
    property bool inviteExpired: false
    property alias menu: menu
    property alias renameDialog: renameDialog
    property alias safetyDialog: safetyDialog
    property alias revokeDialog: revokeDialog

    // Something to tell the user (a toast).
    signal message(string text)

    function popupMenu(contact, item) {
        if (!contact)
            return;
        dialogs.contact = contact;
        dialogs.name = session.contacts.displayOf(contact);
        dialogs.inviteExpired = session.contacts.inviteExpiredOf(contact);
        appearOffline.checked = actions.appearsOffline(contact);
        menu.popup(item, 0, item ? item.height : 0);
    }

    Menu {
        id: menu
        objectName: "contactMenu"
        MenuItem {
            objectName: "renameItem"
            text: qsTr("Rename…")
            enabled: dialogs.actions.available
            onTriggered: {
                renameField.text = dialogs.name;
                renameDialog.error = "";
                renameDialog.open();
            }
        }
        MenuItem {
            objectName: "safetyNumberItem"
            text: qsTr("Safety number…")
            enabled: dialogs.actions.available
            onTriggered: safetyDialog.open()
        }
        MenuItem {
            id: appearOffline
            objectName: "appearOfflineItem"
            text: qsTr("Appear offline to %1").arg(dialogs.name)
            checkable: true
            enabled: dialogs.actions.available
            onTriggered: {
                const e = dialogs.actions.setAppearOffline(dialogs.contact, checked);
                if (e !== "")
                    dialogs.message(e);
            }
        }
        MenuSeparator {}
        MenuItem {
            objectName: "revokeItem"
            text: dialogs.inviteExpired ? qsTr("Remove…") : qsTr("Revoke…")
            enabled: dialogs.actions.available
            palette.windowText: Theme.danger
            palette.text: Theme.danger
            onTriggered: revokeDialog.open()
        }
    }

    AppDialog {
        id: renameDialog
        objectName: "renameDialog"
        property string error: ""
        width: Math.min(parent.width - 48, 400)
        title: qsTr("Rename %1").arg(dialogs.name)
        ColumnLayout {
            width: parent.width
            spacing: 8
            InputField {
                id: renameField
                objectName: "renameField"
                Layout.fillWidth: true
                placeholderText: qsTr("Name")
                onAccepted: renameDialog.submit()
            }
            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                font.pixelSize: 12
                color: Theme.subtleText
                text: qsTr("Only you see this name. Leave it empty to use the name they chose.")
            }
            ErrorLabel { Layout.fillWidth: true; text: renameDialog.error }
        }
        footer: DialogButtons {
            ActionButton { text: qsTr("Cancel"); DialogButtonBox.buttonRole: DialogButtonBox.RejectRole }
            ActionButton {
                objectName: "renameConfirm"
                text: qsTr("Rename")
                kind: "accent"
                onClicked: renameDialog.submit()
            }
        }
        function submit() {
            error = dialogs.actions.rename(dialogs.contact, renameField.text);
            if (error === "")
                close();
        }
    }

    AppDialog {
        id: safetyDialog
        objectName: "safetyDialog"
        width: Math.min(parent.width - 48, 440)
        title: qsTr("Safety number with %1").arg(dialogs.name)
        ColumnLayout {
            width: parent.width
            spacing: 12
            Label {
                id: safetyNumber
                objectName: "safetyNumber"
                Layout.alignment: Qt.AlignHCenter
                Layout.fillWidth: true
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.Wrap
                font.family: "monospace"
                font.pixelSize: 20
                lineHeight: 1.3
                visible: text !== ""
                text: safetyDialog.visible ? dialogs.actions.safetyNumber(dialogs.contact) : ""
            }
            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                color: Theme.subtleText
                text: safetyNumber.visible
                      ? qsTr("Compare this number with %1 in person or on a call. If you both see the same number, nobody is listening in between.").arg(dialogs.name)
                      : qsTr("The safety number is known once %1 has answered your request.").arg(dialogs.name)
            }
        }
        footer: DialogButtons {
            ActionButton { text: qsTr("Close"); DialogButtonBox.buttonRole: DialogButtonBox.RejectRole }
        }
    }

    AppDialog {
        id: revokeDialog
        objectName: "revokeDialog"
        width: Math.min(parent.width - 48, 460)
        title: dialogs.inviteExpired ? qsTr("Remove %1?").arg(dialogs.name)
                                     : qsTr("Revoke %1?").arg(dialogs.name)
        ColumnLayout {
            width: parent.width
            spacing: 10
            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: dialogs.inviteExpired
                      ? qsTr("The invite from %1 expired before they answered, so they never became your contact. Removing them also deletes the messages waiting for them.").arg(dialogs.name)
                      : qsTr("%1 will not be told. To them you will simply look offline, for good: they can no longer reach you or see whether you are online.").arg(dialogs.name)
            }
            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                color: Theme.subtleText
                text: dialogs.inviteExpired
                      ? qsTr("To add them, ask for a new invite code.")
                      : qsTr("Your conversation with them is deleted from this computer. This cannot be undone; to talk again, one of you needs a new invite.")
            }
        }
        footer: DialogButtons {
            ActionButton { text: qsTr("Cancel"); DialogButtonBox.buttonRole: DialogButtonBox.RejectRole }
            ActionButton {
                objectName: "revokeConfirm"
                text: dialogs.inviteExpired ? qsTr("Remove") : qsTr("Revoke silently")
                kind: "danger"
                onClicked: {
                    const e = dialogs.actions.revoke(dialogs.contact);
                    revokeDialog.close();
                    dialogs.message(e !== "" ? e
                                    : dialogs.inviteExpired ? qsTr("%1 was removed.").arg(dialogs.name)
                                    : qsTr("%1 was revoked.").arg(dialogs.name));
                }
            }
        }
    }
}
