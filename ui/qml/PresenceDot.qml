// A contact's presence: a coloured dot (green online, amber away, grey
// offline), ringed in the background colour so it reads on an avatar.
import QtQuick
import Sotto.Ui

Rectangle {
    property string presence: "offline"
    property color ring: Theme.base
    property int size: 12

    width: size
    height: size
    radius: size / 2
    color: Theme.presenceColor(presence)
    border.color: ring
    border.width: 2
}
