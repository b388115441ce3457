// Unlocking the profile at start: one passphrase field; a wrong passphrase
// says so and changes nothing. If another Sotto program has the profile open
// (the sotto-cli daemon), the page says so from the start; Unlock tries again.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto.Ui

Item {
    id: page
    objectName: "unlockPage"

    required property SessionController session
    property string error: ""
    property bool busy: false

    Rectangle { anchors.fill: parent; color: Theme.window }

    Card {
        anchors.centerIn: parent
        width: Math.min(parent.width - 48, 420)

        ColumnLayout {
            width: parent.width
            spacing: 14

            AppLogo { size: 64; Layout.alignment: Qt.AlignHCenter }
            Label {
                Layout.alignment: Qt.AlignHCenter
                text: qsTr("Unlock Sotto")
                font.pixelSize: 22
                font.bold: true
            }
            Label {
                Layout.fillWidth: true
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.Wrap
                color: Theme.subtleText
                text: qsTr("Enter your passphrase to open your contacts and messages.")
            }
            InputField {
                id: passField
                objectName: "unlockPassphrase"
                Layout.fillWidth: true
                Layout.topMargin: 4
                echoMode: TextInput.Password
                placeholderText: qsTr("Passphrase")
                focus: true
                enabled: !page.busy
                onAccepted: page.submit()
                onTextEdited: page.error = ""
            }
            ErrorLabel {
                objectName: "unlockError"
                Layout.fillWidth: true
                horizontalAlignment: Text.AlignHCenter
                text: page.error !== "" ? page.error : page.session.profileBusy
            }
            ActionButton {
                objectName: "unlockButton"
                Layout.fillWidth: true
                kind: "accent"
                enabled: passField.text !== "" && !page.busy
                text: page.busy ? qsTr("Unlocking…") : qsTr("Unlock")
                onClicked: page.submit()
            }
            Label {
                Layout.fillWidth: true
                horizontalAlignment: Text.AlignHCenter
                elide: Text.ElideMiddle
                color: Theme.faintText
                font.pixelSize: 11
                text: page.session.profileDir
            }
        }
    }

    function submit() {
        if (passField.text === "" || busy)
            return;
        busy = true;
        unlockLater.start();
    }

    // Deriving the key takes a moment: let "Unlocking…" paint first.
    Timer {
        id: unlockLater
        interval: 30
        onTriggered: {
            const e = page.session.unlock(passField.text);
            page.busy = false;
            if (e !== "") {
                page.error = e;
                passField.selectAll();
                passField.forceActiveFocus();
            }
        }
    }
}
