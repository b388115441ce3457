// A "more actions" button: three dots, drawn so no font needs the glyph.
import QtQuick
import QtQuick.Controls
import Sotto.Ui

ToolButton {
    id: button
    implicitWidth: 34
    implicitHeight: 34
    contentItem: Item {
        Column {
            anchors.centerIn: parent
            spacing: 3
            Repeater {
                model: 3
                Rectangle { width: 4; height: 4; radius: 2; color: Theme.subtleText }
            }
        }
    }
}
