// A raised panel for the wizard and unlock screens.
import QtQuick
import Sotto.Ui

Rectangle {
    default property alias content: inner.data
    property int padding: 28

    color: Theme.base
    radius: 12
    border.color: Theme.divider
    implicitWidth: inner.implicitWidth + 2 * padding
    implicitHeight: inner.implicitHeight + 2 * padding

    Item {
        id: inner
        anchors.fill: parent
        anchors.margins: parent.padding
        implicitWidth: childrenRect.width
        implicitHeight: childrenRect.height
    }
}
