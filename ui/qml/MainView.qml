// The main window's content: contacts on the left, the open conversation
// on the right, and the dialogs both open (invite, add contact, contact
// actions, passphrase). Owns the keyboard shortcuts.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto.Ui

Item {
    id: view
    objectName: "mainView"

    required property SessionController session
    property bool windowActive: true

    // For tests and the tray.
    property alias contactsPane: contactsPane
    property alias chatPane: chatPane
    property alias inviteDialog: inviteDialog
    property alias addContactDialog: addContactDialog
    property alias contactDialogs: contactDialogs

    SplitView {
        anchors.fill: parent
        orientation: Qt.Horizontal

        handle: Rectangle {
            implicitWidth: 1
            color: Theme.divider
        }

        ContactsPane {
            id: contactsPane
            session: view.session
            SplitView.minimumWidth: 240
            SplitView.preferredWidth: 310
            SplitView.maximumWidth: 460
            onInviteRequested: inviteDialog.openFresh()
            onAddContactRequested: addContactDialog.openFresh()
            onChangePassphraseRequested: passphraseDialog.open()
            onContactMenuRequested: function (contact, item) {
                contactDialogs.popupMenu(contact, item);
            }
        }

        ChatPane {
            id: chatPane
            session: view.session
            SplitView.fillWidth: true
            SplitView.minimumWidth: 360
            viewing: view.windowActive
            onContactMenuRequested: function (item) {
                contactDialogs.popupMenu(view.session.chat.contactId, item);
            }
            onInviteRequested: inviteDialog.openFresh()
            onAddContactRequested: addContactDialog.openFresh()
        }
    }

    InviteDialog {
        id: inviteDialog
        session: view.session
        onInviteUsed: function (name) {
            toast.show(qsTr("%1 accepted your invite.").arg(name));
        }
    }

    // Opened with a sotto: link: offer it, never accept it unasked.
    function offerPendingInvite() {
        if (session.pendingInvite === "")
            return;
        addContactDialog.openFresh();
        addContactDialog.codeText = session.pendingInvite;
        session.pendingInvite = "";
    }
    Component.onCompleted: offerPendingInvite()
    Connections {
        target: view.session
        function onPendingInviteChanged() { view.offerPendingInvite(); }
    }

    AddContactDialog {
        id: addContactDialog
        session: view.session
        onContactAdded: function (contact, name) {
            view.openContact(contact);
            toast.show(qsTr("Added %1. You can chat once they come online.").arg(name));
        }
    }

    ContactDialogs {
        id: contactDialogs
        session: view.session
        onMessage: function (text) { toast.show(text); }
    }

    ChangePassphraseDialog {
        id: passphraseDialog
        session: view.session
        onChanged: toast.show(qsTr("Passphrase changed."))
    }

    Toast { id: toast }

    Connections {
        target: view.session
        function onStorageFailed(message) { toast.show(message); }
    }

    Shortcut {
        sequence: "Ctrl+N"
        onActivated: inviteDialog.openFresh()
    }
    Shortcut {
        sequences: ["Ctrl+K", "Ctrl+F"]
        onActivated: contactsPane.focusSearch()
    }
    Shortcut {
        sequence: "Alt+Up"
        onActivated: contactsPane.step(-1)
    }
    Shortcut {
        sequence: "Alt+Down"
        onActivated: contactsPane.step(1)
    }

    function openContact(contact) {
        session.setContactFilter("");
        session.chat.contactId = contact;
        chatPane.focusComposer();
    }
}
