// First start: create the profile (name, passphrase twice), choose the
// network (the file given with --network, another file, or pasted text),
// then watch the node bootstrap until it is online.
import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts
import Sotto.Ui

Item {
    id: wizard
    objectName: "firstRunWizard"

    required property SessionController session
    property int step: 0
    property string error: ""

    Rectangle { anchors.fill: parent; color: Theme.window }

    Card {
        anchors.centerIn: parent
        width: Math.min(parent.width - 48, 520)

        ColumnLayout {
            width: parent.width
            spacing: 14

            RowLayout {
                spacing: 14
                AppLogo { size: 48 }
                ColumnLayout {
                    spacing: 2
                    Label {
                        text: qsTr("Welcome to Sotto")
                        font.pixelSize: 22
                        font.bold: true
                    }
                    Label {
                        text: qsTr("Private messages, seen only by the people you choose.")
                        color: Theme.subtleText
                    }
                }
            }

            // Where we are: three steps.
            RowLayout {
                Layout.fillWidth: true
                spacing: 6
                Repeater {
                    model: [qsTr("Profile"), qsTr("Network"), qsTr("Connect")]
                    delegate: ColumnLayout {
                        required property string modelData
                        required property int index
                        Layout.fillWidth: true
                        Layout.preferredWidth: 1
                        spacing: 4
                        Rectangle {
                            Layout.fillWidth: true
                            height: 4
                            radius: 2
                            color: index <= wizard.step ? Theme.accent : Theme.divider
                        }
                        Label {
                            text: modelData
                            font.pixelSize: 11
                            color: index === wizard.step ? Theme.text : Theme.faintText
                        }
                    }
                }
            }

            StackLayout {
                id: pages
                Layout.fillWidth: true
                // As tall as the page shown, not the tallest one.
                Layout.preferredHeight: pages.children[pages.currentIndex].implicitHeight
                currentIndex: wizard.step

                // ---- 1: name and passphrase
                ColumnLayout {
                    spacing: 8
                    Label { text: qsTr("Your name"); font.bold: true }
                    InputField {
                        id: nameField
                        objectName: "wizardName"
                        Layout.fillWidth: true
                        placeholderText: qsTr("How your contacts will see you")
                        maximumLength: 64
                        focus: true
                    }
                    Label { text: qsTr("Passphrase"); font.bold: true; Layout.topMargin: 6 }
                    InputField {
                        id: passField
                        objectName: "wizardPassphrase"
                        Layout.fillWidth: true
                        echoMode: TextInput.Password
                        placeholderText: qsTr("At least %1 characters").arg(8)
                    }
                    InputField {
                        id: pass2Field
                        objectName: "wizardPassphrase2"
                        Layout.fillWidth: true
                        echoMode: TextInput.Password
                        placeholderText: qsTr("Repeat the passphrase")
                        onAccepted: nextButton.clicked()
                    }
                    Label {
                        Layout.fillWidth: true
                        wrapMode: Text.Wrap
                        color: Theme.subtleText
                        font.pixelSize: 12
                        text: qsTr("The passphrase encrypts your contacts and messages on this "
                                   + "computer. Nobody can recover it if you forget it.")
                    }
                }

                // ---- 2: network: the Tor network (the default), or a
                // network file (a Sotto network, a private Tor network;
                // chosen when the app was started with --network)
                ColumnLayout {
                    spacing: 8
                    Label {
                        Layout.fillWidth: true
                        wrapMode: Text.Wrap
                        text: qsTr("Which network should Sotto use? A profile stays on the "
                                   + "network you choose now.")
                    }
                    ChoiceButton {
                        id: torChoice
                        objectName: "wizardNetworkTor"
                        checked: wizard.session.defaultNetworkText === ""
                        text: qsTr("The Tor network (recommended)")
                    }
                    Label {
                        Layout.fillWidth: true
                        Layout.leftMargin: 32
                        wrapMode: Text.Wrap
                        color: Theme.subtleText
                        font.pixelSize: 12
                        text: qsTr("Thousands of volunteer relays. Sotto starts its own Tor; "
                                   + "nothing else is needed.")
                    }
                    ChoiceButton {
                        id: fileChoice
                        objectName: "wizardNetworkFileChoice"
                        checked: !torChoice.checked
                        text: qsTr("A network file (a private test network)")
                    }
                    ScrollView {
                        visible: fileChoice.checked
                        Layout.fillWidth: true
                        Layout.preferredHeight: 110
                        TextArea {
                            id: networkText
                            objectName: "wizardNetwork"
                            text: wizard.session.defaultNetworkText
                            font.family: "monospace"
                            font.pixelSize: 11
                            wrapMode: TextEdit.WrapAnywhere
                            placeholderText: qsTr("Open the network file you were given, or paste its text here")
                            Accessible.name: qsTr("Network file")
                            background: Rectangle {
                                color: Theme.window
                                border.color: Theme.divider
                                radius: 4
                            }
                        }
                    }
                    RowLayout {
                        visible: fileChoice.checked
                        ActionButton {
                            text: qsTr("Open file…")
                            onClicked: networkDialog.open()
                        }
                        Label {
                            Layout.fillWidth: true
                            elide: Text.ElideMiddle
                            color: Theme.faintText
                            font.pixelSize: 11
                            text: wizard.session.networkFilePath
                        }
                    }
                }

                // ---- 3: bootstrap
                ColumnLayout {
                    spacing: 12
                    RowLayout {
                        spacing: 12
                        Spinner {
                            running: !wizard.session.online && !wizard.session.networkFailed
                        }
                        Rectangle {
                            visible: wizard.session.online
                            width: 32; height: 32; radius: 16
                            color: Theme.online
                            Label { anchors.centerIn: parent; text: "✓"; color: "white"; font.bold: true; font.pixelSize: 18 }
                        }
                        ColumnLayout {
                            Layout.fillWidth: true
                            spacing: 2
                            Label {
                                font.bold: true
                                text: wizard.session.online ? qsTr("You are online")
                                    : wizard.session.networkFailed ? qsTr("Could not connect")
                                    : qsTr("Connecting to the network…")
                            }
                            Label {
                                objectName: "wizardNetworkDetail"
                                Layout.fillWidth: true
                                wrapMode: Text.Wrap
                                color: wizard.session.networkFailed ? Theme.danger : Theme.subtleText
                                text: wizard.session.networkDetail
                            }
                        }
                    }
                    // tor's bootstrap percentage (a Sotto network file's
                    // network does not report one: the spinner alone).
                    ProgressBar {
                        objectName: "wizardNetworkProgress"
                        Layout.fillWidth: true
                        visible: wizard.session.networkProgress >= 0 && !wizard.session.online
                        from: 0
                        to: 100
                        value: Math.max(0, wizard.session.networkProgress)
                        Accessible.name: qsTr("Connecting to Tor")
                    }
                    Label {
                        Layout.fillWidth: true
                        wrapMode: Text.Wrap
                        color: Theme.subtleText
                        font.pixelSize: 12
                        text: qsTr("Your profile is ready. Joining the network can take a "
                                   + "minute; you can start while it finishes.")
                    }
                }
            }

            ErrorLabel {
                objectName: "wizardError"
                Layout.fillWidth: true
                text: wizard.error
            }

            RowLayout {
                Layout.fillWidth: true
                Label {
                    Layout.fillWidth: true
                    elide: Text.ElideMiddle
                    color: Theme.faintText
                    font.pixelSize: 11
                    text: qsTr("Profile: %1").arg(wizard.session.profileDir)
                }
                ActionButton {
                    text: qsTr("Back")
                    visible: wizard.step === 1
                    onClicked: { wizard.error = ""; wizard.step = 0; }
                }
                ActionButton {
                    id: nextButton
                    objectName: "wizardNext"
                    kind: "accent"
                    text: wizard.step === 0 ? qsTr("Next")
                        : wizard.step === 1 ? qsTr("Create profile")
                        : wizard.session.online ? qsTr("Start") : qsTr("Continue")
                    onClicked: wizard.advance()
                }
            }
        }
    }

    FileDialog {
        id: networkDialog
        title: qsTr("Open a network file")
        nameFilters: [qsTr("Network files (*.txt *.network *.sotto)"), qsTr("All files (*)")]
        onAccepted: {
            const text = wizard.session.readNetworkFile(selectedFile);
            if (text === "")
                wizard.error = qsTr("Cannot read that file.");
            else {
                networkText.text = text;
                wizard.error = "";
            }
        }
    }

    function advance() {
        error = "";
        if (step === 0) {
            if (nameField.text.trim() === "")
                error = qsTr("Choose a name: your contacts see it.");
            else if (passField.text.length < 8)
                error = qsTr("Choose a passphrase of at least %1 characters.").arg(8);
            else if (passField.text !== pass2Field.text)
                error = qsTr("The two passphrases differ.");
            else
                step = 1;
        } else if (step === 1) {
            error = session.createProfile(nameField.text, passField.text, pass2Field.text,
                                          torChoice.checked ? session.torNetworkText
                                                            : networkText.text);
            if (error === "") {
                passField.text = "";
                pass2Field.text = "";
                step = 2;
            }
        } else {
            session.finishSetup();
        }
    }
}
