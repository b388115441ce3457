// Scanning an invite's QR code with a camera: the live picture with a frame
// to aim at, a choice of camera when there are several, and the refusal of a
// code that is not a usable invite (the dialog keeps looking meanwhile).
// Built only with Qt Multimedia; AddContactDialog loads it by name.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtMultimedia
import Sotto.Ui

AppDialog {
    id: dialog
    objectName: "cameraScanDialog"

    required property InviteController invites
    property string error: ""
    readonly property bool hasCamera: devices.videoInputs.length > 0

    // The code was accepted: the contact exists (InviteController said so).
    signal codeAccepted()

    width: Math.min(parent.width - 48, 520)
    title: qsTr("Scan with the camera")

    MediaDevices { id: devices }

    CameraScanner {
        id: scanner
        videoSink: viewfinder.videoSink
        active: dialog.visible
        onCodeFound: function (text) {
            const e = dialog.invites.acceptText(text);
            if (e === "") {
                dialog.codeAccepted();
                dialog.close();
            } else {
                dialog.error = e;
            }
        }
    }

    ColumnLayout {
        width: parent.width
        spacing: 10

        Rectangle {
            Layout.fillWidth: true
            Layout.preferredHeight: width * 3 / 4
            color: "black"
            radius: 6
            clip: true

            // The capture pipeline exists only while a camera is there to
            // feed it: Qt 6.4's GStreamer backend builds one even without a
            // camera, and that one can hang when it is torn down.
            Loader {
                active: dialog.hasCamera
                sourceComponent: CaptureSession {
                    camera: Camera {
                        cameraDevice: cameraChoice.currentIndex >= 0
                                      && cameraChoice.currentIndex < devices.videoInputs.length
                                      ? devices.videoInputs[cameraChoice.currentIndex]
                                      : devices.defaultVideoInput
                        // Only while the dialog is up: the camera light goes off with it.
                        active: dialog.visible
                        onErrorOccurred: function (code, message) {
                            dialog.error = qsTr("The camera cannot be used: %1").arg(message);
                        }
                    }
                    videoOutput: viewfinder
                }
            }
            VideoOutput {
                id: viewfinder
                objectName: "cameraViewfinder"
                anchors.fill: parent
                fillMode: VideoOutput.PreserveAspectCrop
            }
            // Where to hold the code.
            Rectangle {
                anchors.centerIn: parent
                width: Math.min(parent.width, parent.height) * 0.62
                height: width
                color: "transparent"
                radius: 8
                border.width: 2
                border.color: Qt.rgba(1, 1, 1, 0.75)
                visible: dialog.hasCamera
            }
            Label {
                objectName: "noCameraLabel"
                anchors.centerIn: parent
                width: parent.width - 40
                visible: !dialog.hasCamera
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.Wrap
                color: "white"
                text: qsTr("No camera found. Connect one, or use a picture of the code instead.")
            }
        }

        ComboBox {
            id: cameraChoice
            objectName: "cameraChoice"
            Layout.fillWidth: true
            visible: devices.videoInputs.length > 1
            model: devices.videoInputs.map(d => d.description)
        }

        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.subtleText
            text: qsTr("Hold the invite's QR code inside the frame. The picture stays on this computer.")
        }

        ErrorLabel {
            objectName: "cameraScanError"
            Layout.fillWidth: true
            text: dialog.error
        }
    }

    footer: DialogButtons {
        ActionButton {
            objectName: "cameraScanCancel"
            text: qsTr("Back")
            DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
        }
    }

    onOpened: error = ""
}
