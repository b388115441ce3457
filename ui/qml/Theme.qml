// Colours and sizes for every view, derived from the system palette so the
// app follows the desktop's light or dark scheme (and changes with it).
pragma Singleton
import QtQuick

QtObject {
    id: theme

    readonly property SystemPalette pal: SystemPalette { colorGroup: SystemPalette.Active }
    readonly property bool dark: pal.window.hslLightness < 0.5

    readonly property color window: pal.window
    readonly property color base: pal.base
    readonly property color text: pal.windowText
    readonly property color subtleText: Qt.rgba(text.r, text.g, text.b, 0.62)
    readonly property color faintText: Qt.rgba(text.r, text.g, text.b, 0.45)
    readonly property color accent: pal.highlight
    readonly property color accentText: pal.highlightedText
    readonly property color divider: Qt.rgba(text.r, text.g, text.b, dark ? 0.14 : 0.11)
    // Edges of fields and plain buttons: a bit stronger than a divider.
    readonly property color border: Qt.rgba(text.r, text.g, text.b, dark ? 0.24 : 0.2)
    readonly property color field: dark ? Qt.darker(window, 1.25) : base

    // The contact pane sits a shade off the chat background.
    readonly property color sidebar: dark ? Qt.lighter(window, 1.12) : Qt.darker(window, 1.03)
    readonly property color chatBackground: dark ? Qt.darker(window, 1.18) : Qt.lighter(window, 1.04)
    readonly property color hover: Qt.rgba(text.r, text.g, text.b, dark ? 0.07 : 0.05)
    readonly property color selected: Qt.rgba(accent.r, accent.g, accent.b, dark ? 0.32 : 0.18)

    readonly property color bubbleOut: accent
    readonly property color bubbleOutText: accentText
    readonly property color bubbleIn: dark ? Qt.lighter(window, 1.45) : "#ffffff"
    readonly property color bubbleInText: text
    readonly property color bubbleInBorder: dark ? "transparent" : Qt.rgba(0, 0, 0, 0.08)

    readonly property color online: "#2fb36d"
    readonly property color away: "#e7a325"
    readonly property color offline: dark ? "#7b8089" : "#a3a8b0"
    readonly property color danger: dark ? "#ff6b6b" : "#c93434"
    readonly property color dangerFill: "#d23f3f"
    readonly property color warningBackground: dark ? "#4a3d1c" : "#fff4d6"
    readonly property color warningText: dark ? "#f6dea0" : "#6b4d00"
    readonly property color badge: "#e03e3e"

    readonly property int radius: 8
    readonly property int bubbleRadius: 14
    readonly property int spacing: 8
    readonly property int padding: 12
    readonly property int avatarSize: 40

    // One palette of avatar colours, picked by a stable hash of the name.
    readonly property var avatarColors: ["#e57373", "#f06292", "#ba68c8", "#7986cb", "#4fc3f7",
        "#4db6ac", "#81c784", "#ffb74d", "#a1887f", "#90a4ae"]
    function avatarColor(name) {
        let h = 0;
        for (let i = 0; i < name.length; ++i)
            h = (h * 31 + name.charCodeAt(i)) >>> 0;
        return avatarColors[h % avatarColors.length];
    }
    // Up to two letters from the first two words, whole code points (an
    // emoji name gives an emoji, not half a surrogate pair).
    function initials(name) {
        const words = name.trim().split(/\s+/).filter(w => w.length > 0);
        let out = "";
        for (let i = 0; i < words.length && i < 2; ++i)
            out += Array.from(words[i])[0].toUpperCase();
        return out === "" ? "?" : out;
    }
    function presenceColor(presence) {
        return presence === "online" ? online : presence === "away" ? away : offline;
    }
    function presenceText(presence) {
        return presence === "online" ? qsTr("Online") : presence === "away" ? qsTr("Away")
                                                                            : qsTr("Offline");
    }
}
