// Whether we are on the onion network: a dot and a word, the details in a
// tooltip (relay count, or what went wrong).
import QtQuick
import QtQuick.Controls
import Sotto.Ui

Item {
    id: indicator
    required property SessionController session
    implicitWidth: row.implicitWidth
    implicitHeight: row.implicitHeight

    Row {
        id: row
        spacing: 6
        Rectangle {
            anchors.verticalCenter: parent.verticalCenter
            width: 8
            height: 8
            radius: 4
            color: indicator.session.online ? Theme.online
                 : indicator.session.networkFailed ? Theme.danger : Theme.away
        }
        Label {
            objectName: "networkStatus"
            font.pixelSize: 12
            color: Theme.subtleText
            text: indicator.session.online ? qsTr("Connected")
                : indicator.session.networkFailed ? qsTr("Network problem")
                : qsTr("Connecting…")
        }
    }
    HoverHandler { id: hover }
    ToolTip.visible: hover.hovered && session.networkDetail !== ""
    ToolTip.text: session.networkDetail
    ToolTip.delay: 400
}
