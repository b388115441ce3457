// A message's delivery state, drawn rather than typed (no font needed):
// queued = a small clock, sent = one tick, delivered = two ticks, failed =
// an exclamation mark in a circle.
import QtQuick

Item {
    id: mark
    property string deliveryState: "queued"
    property color color: "white"

    implicitWidth: deliveryState === "delivered" ? 17 : 12
    implicitHeight: 12
    visible: deliveryState === "queued" || deliveryState === "sent" || deliveryState === "delivered"
             || deliveryState === "failed"

    // The clock.
    Rectangle {
        visible: mark.deliveryState === "queued"
        anchors.centerIn: parent
        width: 11
        height: 11
        radius: 5.5
        color: "transparent"
        border.color: mark.color
        border.width: 1.3
        Rectangle { x: 4.8; y: 2.2; width: 1.3; height: 3.6; color: mark.color }
        Rectangle { x: 4.8; y: 4.6; width: 3.0; height: 1.3; color: mark.color }
    }

    // The exclamation mark.
    Rectangle {
        visible: mark.deliveryState === "failed"
        anchors.centerIn: parent
        width: 11
        height: 11
        radius: 5.5
        color: "transparent"
        border.color: mark.color
        border.width: 1.3
        Rectangle { x: 4.8; y: 2.2; width: 1.3; height: 4.2; color: mark.color }
        Rectangle { x: 4.8; y: 7.3; width: 1.3; height: 1.4; color: mark.color }
    }

    // Ticks: a short and a long stroke each.
    component Tick: Item {
        width: 11
        height: 12
        property color color
        Rectangle {
            x: 1; y: 6.2; width: 4.2; height: 1.6; radius: 0.8
            rotation: 45
            color: parent.color
            antialiasing: true
        }
        Rectangle {
            x: 3.2; y: 4.6; width: 8.0; height: 1.6; radius: 0.8
            rotation: -50
            color: parent.color
            antialiasing: true
        }
    }
    Tick {
        visible: mark.deliveryState === "sent" || mark.deliveryState === "delivered"
        color: mark.color
        x: 0
    }
    Tick {
        visible: mark.deliveryState === "delivered"
        color: mark.color
        x: 5
    }
}
