// The left pane: who we are and our presence, a search field, the contact
// list (most recent first) and the buttons to invite or add someone.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto.Ui

Rectangle {
    id: pane
    objectName: "contactsPane"

    required property SessionController session
    property alias list: list
    property alias searchField: search

    signal inviteRequested()
    signal addContactRequested()
    signal changePassphraseRequested()
    signal contactMenuRequested(var contact, Item item)

    color: Theme.sidebar

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // ---- who we are
        RowLayout {
            Layout.fillWidth: true
            Layout.margins: 12
            Layout.bottomMargin: 6
            spacing: 10
            Avatar {
                name: pane.session.displayName
                initials: Theme.initials(pane.session.displayName)
                size: 36
            }
            ColumnLayout {
                Layout.fillWidth: true
                spacing: 0
                Label {
                    Layout.fillWidth: true
                    text: pane.session.displayName
                    font.bold: true
                    font.pixelSize: 14
                    elide: Text.ElideRight
                }
                PresenceSelector {
                    session: pane.session
                    Layout.leftMargin: -6
                }
            }
            MoreButton {
                objectName: "mainMenuButton"
                onClicked: mainMenu.popup(this, 0, height)
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Menu")
                ToolTip.delay: 600
            }
        }

        // ---- search
        InputField {
            id: search
            objectName: "contactSearch"
            Layout.fillWidth: true
            Layout.leftMargin: 12
            Layout.rightMargin: 12
            Layout.bottomMargin: 8
            placeholderText: qsTr("Search contacts (Ctrl+K)")
            onTextChanged: pane.session.setContactFilter(text)
            Keys.onEscapePressed: text = ""
            Keys.onDownPressed: pane.step(1)
            Keys.onUpPressed: pane.step(-1)
            onAccepted: {
                const c = pane.session.stepContact(0, 0);
                if (c !== 0)
                    pane.session.chat.contactId = c;
            }
        }

        Rectangle { Layout.fillWidth: true; height: 1; color: Theme.divider }

        // ---- contacts
        ListView {
            id: list
            objectName: "contactList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            topMargin: 6
            bottomMargin: 6
            model: pane.session.contactsView
            boundsBehavior: Flickable.StopAtBounds
            reuseItems: true
            ScrollBar.vertical: ScrollBar {}

            delegate: ContactDelegate {
                width: ListView.view.width
                selected: contactId === pane.session.chat.contactId
                onClicked: pane.session.chat.contactId = contactId
                onMenuRequested: function (item) { pane.contactMenuRequested(contactId, item); }
            }

            // Empty list: say what to do.
            ColumnLayout {
                anchors.centerIn: parent
                width: parent.width - 48
                visible: list.count === 0
                spacing: 8
                Label {
                    Layout.fillWidth: true
                    horizontalAlignment: Text.AlignHCenter
                    font.bold: true
                    text: pane.session.contacts.count === 0 ? qsTr("No contacts yet")
                                                             : qsTr("No contact matches")
                }
                Label {
                    Layout.fillWidth: true
                    horizontalAlignment: Text.AlignHCenter
                    wrapMode: Text.Wrap
                    color: Theme.subtleText
                    font.pixelSize: 12
                    visible: pane.session.contacts.count === 0
                    text: qsTr("Invite someone, or add a contact with the invite code they gave you.")
                }
            }
        }

        Rectangle { Layout.fillWidth: true; height: 1; color: Theme.divider }

        // ---- actions and network
        RowLayout {
            Layout.fillWidth: true
            Layout.margins: 12
            Layout.bottomMargin: 6
            spacing: 8
            ActionButton {
                objectName: "inviteButton"
                Layout.fillWidth: true
                Layout.preferredWidth: 1
                kind: "accent"
                text: qsTr("Invite")
                onClicked: pane.inviteRequested()
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Create an invite code (Ctrl+N)")
                ToolTip.delay: 600
            }
            ActionButton {
                objectName: "addContactButton"
                Layout.fillWidth: true
                Layout.preferredWidth: 1
                text: qsTr("Add contact")
                onClicked: pane.addContactRequested()
            }
        }
        NetworkIndicator {
            session: pane.session
            Layout.leftMargin: 14
            Layout.bottomMargin: 10
        }
    }

    Menu {
        id: mainMenu
        MenuItem { text: qsTr("Invite someone…"); onTriggered: pane.inviteRequested() }
        MenuItem { text: qsTr("Add a contact…"); onTriggered: pane.addContactRequested() }
        MenuSeparator {}
        MenuItem { text: qsTr("Change passphrase…"); onTriggered: pane.changePassphraseRequested() }
        MenuSeparator {}
        MenuItem { text: qsTr("Quit"); onTriggered: Qt.quit() }
    }

    function focusSearch() {
        search.forceActiveFocus();
        search.selectAll();
    }

    function step(delta) {
        const c = session.stepContact(session.chat.contactId, delta);
        if (c !== 0) {
            session.chat.contactId = c;
            const row = session.viewRowOf(c);
            if (row >= 0)
                list.positionViewAtIndex(row, ListView.Contain);
        }
    }
}
