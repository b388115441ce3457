// A busy spinner: a rotating arc in the accent colour. Drawn with a Canvas
// so it shows with every scene-graph backend (the style's indicator does
// not draw with the software renderer).
import QtQuick
import Sotto.Ui

Item {
    id: spinner
    property bool running: true
    implicitWidth: 32
    implicitHeight: 32
    visible: running

    Canvas {
        id: arc
        anchors.fill: parent
        property color color: Theme.accent
        onColorChanged: requestPaint()
        onPaint: {
            const ctx = getContext("2d");
            ctx.reset();
            const r = Math.min(width, height) / 2 - 3;
            ctx.lineWidth = 3.5;
            ctx.lineCap = "round";
            ctx.strokeStyle = Qt.rgba(color.r, color.g, color.b, 0.2);
            ctx.beginPath();
            ctx.arc(width / 2, height / 2, r, 0, 2 * Math.PI);
            ctx.stroke();
            ctx.strokeStyle = color;
            ctx.beginPath();
            ctx.arc(width / 2, height / 2, r, -Math.PI / 2, Math.PI / 3);
            ctx.stroke();
        }
        RotationAnimation on rotation {
            running: spinner.running && spinner.visible
            from: 0
            to: 360
            duration: 900
            loops: Animation.Infinite
        }
    }
}
