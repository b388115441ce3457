// Sotto's icon (drawn by the application, see app_icon.hpp).
import QtQuick

Image {
    property int size: 64
    width: size
    height: size
    sourceSize: Qt.size(size * 2, size * 2)
    source: "image://sotto/icon/" + size * 2
    smooth: true
    mipmap: true
    // Qt 6.4 leaks what its pixmap cache still holds at exit (seen by the
    // sanitizer build); the icon is cheap to draw again.
    cache: false
}
