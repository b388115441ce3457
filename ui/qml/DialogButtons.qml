// The button row at the bottom of an AppDialog, right-aligned.
import QtQuick
import QtQuick.Controls

DialogButtonBox {
    alignment: Qt.AlignRight
    spacing: 8
    padding: 22
    topPadding: 8
    background: Item {}
}
