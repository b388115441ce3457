// Changing the profile's passphrase: the current one, then the new one
// twice.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Sotto.Ui

AppDialog {
    id: dialog
    objectName: "changePassphraseDialog"

    required property SessionController session
    property string error: ""

    signal changed()
    width: Math.min(parent.width - 48, 400)
    title: qsTr("Change passphrase")

    ColumnLayout {
        width: parent.width
        spacing: 8
        InputField {
            id: oldField
            Layout.fillWidth: true
            echoMode: TextInput.Password
            placeholderText: qsTr("Current passphrase")
        }
        InputField {
            id: newField
            Layout.fillWidth: true
            echoMode: TextInput.Password
            placeholderText: qsTr("New passphrase")
        }
        InputField {
            id: new2Field
            Layout.fillWidth: true
            echoMode: TextInput.Password
            placeholderText: qsTr("Repeat the new passphrase")
            onAccepted: dialog.submit()
        }
        ErrorLabel { Layout.fillWidth: true; text: dialog.error }
    }

    footer: DialogButtons {
        ActionButton { text: qsTr("Cancel"); DialogButtonBox.buttonRole: DialogButtonBox.RejectRole }
        ActionButton { text: qsTr("Change"); kind: "accent"; onClicked: dialog.submit() }
    }

    onOpened: {
        error = "";
        oldField.forceActiveFocus();
    }
    onClosed: {
        oldField.text = "";
        newField.text = "";
        new2Field.text = "";
    }

    function submit() {
        error = session.changePassphrase(oldField.text, newField.text, new2Field.text);
        if (error === "") {
            close();
            changed();
        }
    }
}
