// Adding a contact from the invite code they gave us: pasted text, an
// image file, the clipboard (text or a picture), or a region of the screen
// (a QR code shown in another window; on Wayland through the desktop's
// screenshot portal), or a camera when this build has one
// (CameraScanDialog, loaded by name so builds without Qt Multimedia still
// load this view). Every refusal is shown with its own message (mistyped,
// expired, already used, wrong network, ...).
import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts
import QtQuick.Window
import Sotto.Ui

AppDialog {
    id: dialog
    objectName: "addContactDialog"

    required property SessionController session
    readonly property InviteController invites: session.invites
    property string error: ""
    property alias codeText: codeField.text

    signal contactAdded(var contact, string name)

    width: Math.min(parent.width - 48, 500)
    title: qsTr("Add a contact")

    ColumnLayout {
        width: parent.width
        spacing: 12

        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.subtleText
            text: qsTr("Paste the invite code you received, or read its QR code from a picture, your screen or a camera.")
        }

        TextArea {
            id: codeField
            objectName: "addContactCode"
            Layout.fillWidth: true
            Layout.preferredHeight: 84
            wrapMode: TextEdit.WrapAnywhere
            font.family: "monospace"
            font.pixelSize: 12
            placeholderText: "sotto:…"
            onTextChanged: dialog.error = ""
            background: Rectangle {
                color: Theme.base
                border.color: codeField.activeFocus ? Theme.accent : Theme.divider
                radius: 4
            }
        }

        Label {
            text: qsTr("Or scan a QR code")
            font.bold: true
            font.pixelSize: 12
            color: Theme.subtleText
        }
        GridLayout {
            Layout.fillWidth: true
            columns: 2
            rowSpacing: 8
            columnSpacing: 8
            ActionButton {
                objectName: "fromImageButton"
                Layout.fillWidth: true
                text: qsTr("Open image…")
                onClicked: imageDialog.open()
            }
            ActionButton {
                objectName: "fromClipboardButton"
                Layout.fillWidth: true
                text: qsTr("From clipboard")
                onClicked: dialog.finish(dialog.invites.acceptClipboard())
            }
            ActionButton {
                objectName: "fromScreenButton"
                Layout.fillWidth: true
                text: qsTr("Screen region…")
                onClicked: dialog.scanScreen()
            }
            ActionButton {
                objectName: "fromCameraButton"
                Layout.fillWidth: true
                text: qsTr("Camera…")
                enabled: dialog.invites.cameraAvailable
                ToolTip.visible: hovered && !enabled
                ToolTip.text: dialog.invites.cameraSupported
                              ? qsTr("No camera found.")
                              : qsTr("This build of Sotto has no camera support.")
                onClicked: dialog.scanCamera()
            }
        }

        ErrorLabel {
            objectName: "addContactError"
            Layout.fillWidth: true
            text: dialog.error
        }
        Label {
            Layout.fillWidth: true
            visible: !dialog.invites.available
            wrapMode: Text.Wrap
            color: Theme.subtleText
            text: qsTr("Sotto is still connecting; you can add contacts once it is online.")
        }
    }

    footer: DialogButtons {
        ActionButton {
            text: qsTr("Cancel")
            DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
        }
        ActionButton {
            objectName: "addContactConfirm"
            text: qsTr("Add contact")
            kind: "accent"
            enabled: codeField.text.trim() !== "" && dialog.invites.available
            onClicked: dialog.finish(dialog.invites.acceptText(codeField.text))
        }
    }

    FileDialog {
        id: imageDialog
        title: qsTr("Open a picture of an invite QR code")
        nameFilters: [qsTr("Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp)"), qsTr("All files (*)")]
        onAccepted: dialog.finish(dialog.invites.acceptImageFile(selectedFile))
    }

    // Created on first use: a second Item among this dialog's children would
    // stop the dialog from sizing itself to its content.
    property AppDialog cameraDialog: null
    Connections {
        target: dialog.cameraDialog
        // Back from the camera: to this dialog, as it was.
        function onRejected() {
            dialog.open();
        }
    }

    ScreenRegionPicker {
        id: picker
        invites: dialog.invites
        onPicked: {
            dialog.restoreWindow();
            dialog.close();
        }
        onCancelled: {
            dialog.restoreWindow();
            dialog.open();
        }
    }

    // Get our window out of the way, grab the screen, let the user pick.
    // Where the screen cannot be grabbed (Wayland), the desktop's
    // screenshot portal asks the user and its picture comes back later
    // (onScreenGrabbed below).
    Timer {
        id: grabLater
        interval: 400
        onTriggered: {
            if (dialog.invites.grabScreen()) {
                picker.showFullScreen();
            } else if (!dialog.invites.grabScreenWithPortal()) {
                dialog.backFromScreen(dialog.invites.screenError());
            }
        }
    }

    Connections {
        target: dialog.invites
        function onContactAccepted(contact, name) {
            dialog.contactAdded(contact, name);
        }
        function onScreenGrabbed() {
            picker.showFullScreen();
        }
        // The contact is added (onContactAccepted); only our window is left
        // to bring back.
        function onScreenGrabAccepted() {
            dialog.restoreWindow();
        }
        function onScreenGrabCancelled() {
            dialog.backFromScreen("");
        }
        function onScreenGrabFailed(message) {
            dialog.backFromScreen(message);
        }
    }

    function openFresh() {
        error = "";
        invites.watchCameras();
        codeField.text = "";
        open();
        codeField.forceActiveFocus();
    }
    function finish(e) {
        error = e;
        if (e === "")
            close();
    }
    function scanScreen() {
        error = "";
        close();
        codeField.Window.window.showMinimized();
        grabLater.start();
    }
    function scanCamera() {
        error = "";
        if (!cameraDialog) {
            const component = Qt.createComponent("CameraScanDialog.qml");
            if (component.status === Component.Ready)
                cameraDialog = component.createObject(dialog.contentItem, { invites: dialog.invites });
        }
        if (!cameraDialog) {
            error = qsTr("The camera view could not be loaded.");
            return;
        }
        close();
        cameraDialog.open();
    }
    function backFromScreen(e) {
        restoreWindow();
        open();
        error = e;
    }
    function restoreWindow() {
        const w = codeField.Window.window;
        w.showNormal();
        w.raise();
        w.requestActivate();
    }
}
