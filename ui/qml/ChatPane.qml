// The right pane: the open conversation (header with the contact's name,
// presence and menu; messages; composer), or a welcome when none is open.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto.Ui

Rectangle {
    id: pane
    objectName: "chatPane"

    required property SessionController session
    property bool viewing: true
    readonly property ChatModel chat: session.chat
    property alias messages: messages
    property alias composer: composer
    property alias revealDialog: revealDialog

    signal contactMenuRequested(Item item)
    signal inviteRequested()
    signal addContactRequested()

    color: Theme.chatBackground

    Binding {
        target: pane.chat
        property: "viewing"
        value: pane.viewing && pane.visible
    }

    // ---- nothing open
    ColumnLayout {
        anchors.centerIn: parent
        width: Math.min(parent.width - 64, 420)
        visible: !pane.chat.hasContact
        spacing: 12
        AppLogo { size: 72; Layout.alignment: Qt.AlignHCenter; opacity: 0.9 }
        Label {
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            font.pixelSize: 18
            font.bold: true
            text: pane.session.contacts.count === 0 ? qsTr("Start your first conversation")
                                                     : qsTr("Choose a conversation")
        }
        Label {
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            color: Theme.subtleText
            text: pane.session.contacts.count === 0
                  ? qsTr("Sotto has no accounts and no servers: you add people by exchanging a one-time invite code. Nobody else can see when you are online.")
                  : qsTr("Pick a contact on the left. Alt+Up and Alt+Down switch between conversations.")
        }
        RowLayout {
            Layout.alignment: Qt.AlignHCenter
            visible: pane.session.contacts.count === 0
            spacing: 8
            ActionButton { text: qsTr("Invite someone"); kind: "accent"; onClicked: pane.inviteRequested() }
            ActionButton { text: qsTr("Add a contact"); onClicked: pane.addContactRequested() }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0
        visible: pane.chat.hasContact

        // ---- header
        Rectangle {
            Layout.fillWidth: true
            Layout.preferredHeight: 60
            color: Theme.window
            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 16
                anchors.rightMargin: 10
                spacing: 12
                Avatar {
                    name: pane.chat.title
                    initials: Theme.initials(pane.chat.title)
                    presence: pane.chat.presence
                    ring: Theme.window
                    size: 38
                }
                ColumnLayout {
                    Layout.fillWidth: true
                    spacing: 1
                    Label {
                        objectName: "chatTitle"
                        Layout.fillWidth: true
                        text: pane.chat.title
                        font.bold: true
                        font.pixelSize: 15
                        elide: Text.ElideRight
                    }
                    Label {
                        objectName: "chatPresence"
                        Layout.fillWidth: true
                        font.pixelSize: 12
                        color: pane.chat.presence === "online" ? Theme.online : Theme.subtleText
                        elide: Text.ElideRight
                        text: pane.chat.inviteExpired ? qsTr("Invite expired — ask for a new code")
                            : pane.chat.pending ? qsTr("Waiting for them to come online")
                                                : Theme.presenceText(pane.chat.presence)
                    }
                }
                MoreButton {
                    id: menuButton
                    objectName: "contactMenuButton"
                    onClicked: pane.contactMenuRequested(menuButton)
                    ToolTip.visible: hovered
                    ToolTip.text: qsTr("Contact")
                    ToolTip.delay: 600
                }
            }
            Rectangle { anchors.bottom: parent.bottom; width: parent.width; height: 1; color: Theme.divider }
        }

        // ---- warnings about what the contact can see
        Rectangle {
            Layout.fillWidth: true
            Layout.preferredHeight: banner.implicitHeight + 16
            visible: banner.text !== ""
            color: Theme.warningBackground
            Label {
                id: banner
                objectName: "chatBanner"
                anchors.fill: parent
                anchors.margins: 8
                anchors.leftMargin: 16
                anchors.rightMargin: 16
                verticalAlignment: Text.AlignVCenter
                wrapMode: Text.Wrap
                font.pixelSize: 12
                color: Theme.warningText
                text: pane.chat.inviteExpired
                      ? qsTr("The invite code from %1 expired before they answered. Ask them for a new code; what you wrote to them was not sent.").arg(pane.chat.title)
                      : pane.chat.pending
                      ? qsTr("%1 has not answered yet. Messages you write now are sent as soon as they come online.").arg(pane.chat.title)
                      : pane.chat.sendingRevealsPresence && pane.chat.appearOffline
                      ? qsTr("You appear offline to %1. Sending a message lets them see you are online.").arg(pane.chat.title)
                      : pane.chat.sendingRevealsPresence
                      ? qsTr("You are invisible. Sending a message lets %1 — only them — see you are online.").arg(pane.chat.title)
                      : ""
            }
        }

        // ---- messages, newest at the bottom
        ListView {
            id: messages
            objectName: "messageList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: pane.chat
            verticalLayoutDirection: ListView.BottomToTop
            spacing: 2
            topMargin: 10
            bottomMargin: 10
            boundsBehavior: Flickable.StopAtBounds
            // Pooled delegates: switching conversations reuses bubbles
            // instead of making new ones.
            reuseItems: true
            ScrollBar.vertical: ScrollBar {}

            delegate: MessageBubble {
                width: ListView.view.width
                // The oldest loaded message came into view: page in older ones.
                function pageIfOldest() {
                    if (index === ListView.view.count - 1 && pane.chat.hasMore)
                        Qt.callLater(pane.chat.loadOlder);
                }
                Component.onCompleted: pageIfOldest()
                ListView.onReused: pageIfOldest()
            }

            Label {
                anchors.centerIn: parent
                visible: messages.count === 0
                color: Theme.subtleText
                text: qsTr("No messages yet. Say hello!")
            }
        }

        Composer {
            id: composer
            objectName: "composer"
            Layout.fillWidth: true
            chat: pane.chat
            onSent: messages.positionViewAtBeginning()
            onSendRequested: function (text) {
                if (pane.chat.sendingRevealsPresence) {
                    revealDialog.pending = text;
                    revealDialog.open();
                } else {
                    composer.send(text);
                }
            }
        }
    }

    Connections {
        target: pane.chat
        function onContactIdChanged() {
            composer.text = "";
            composer.error = "";
            messages.positionViewAtBeginning();
        }
        function onMessageArrived() {
            // Theirs while reading the newest: follow.
            if (messages.atYEnd)
                messages.positionViewAtBeginning();
        }
    }

    AppDialog {
        id: revealDialog
        objectName: "revealDialog"
        property string pending: ""
        width: Math.min(pane.width - 48, 440)
        title: qsTr("Send and show you are online?")
        ColumnLayout {
            width: revealDialog.availableWidth
            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: pane.chat.appearOffline
                      ? qsTr("You appear offline to %1. If you send this message, %1 will see that you are online. Nobody else will.").arg(pane.chat.title)
                      : qsTr("You are invisible. If you send this message, %1 will see that you are online until you change your presence. Nobody else will.").arg(pane.chat.title)
            }
        }
        footer: DialogButtons {
            ActionButton {
                text: qsTr("Cancel")
                DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
            }
            ActionButton {
                objectName: "revealSendButton"
                text: qsTr("Send anyway")
                kind: "accent"
                DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
            }
        }
        onAccepted: {
            composer.send(pending);
            pending = "";
        }
        onRejected: pending = ""
    }

    function focusComposer() {
        composer.input.forceActiveFocus();
    }
}
