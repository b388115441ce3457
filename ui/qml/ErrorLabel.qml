// A message that something went wrong; hidden while empty.
import QtQuick
import QtQuick.Controls
import Sotto.Ui

Label {
    visible: text !== ""
    color: Theme.danger
    wrapMode: Text.Wrap
}
