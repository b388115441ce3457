// The one application window: shows the first-run wizard, the unlock screen
// or the main view, as the session's stage says. Its palette is the
// system's, so every control follows light or dark mode.
import QtQuick
import QtQuick.Controls
import Sotto.Ui

ApplicationWindow {
    id: window
    objectName: "mainWindow"

    required property SessionController session

    width: 1040
    height: 700
    minimumWidth: 680
    minimumHeight: 460
    visible: true
    title: session.stage === SessionController.Main && session.displayName !== ""
           ? qsTr("Sotto — %1").arg(session.displayName) : qsTr("Sotto")
    color: Theme.window

    palette.window: Theme.pal.window
    palette.windowText: Theme.pal.windowText
    palette.base: Theme.pal.base
    palette.alternateBase: Theme.pal.alternateBase
    palette.text: Theme.pal.text
    palette.button: Theme.pal.button
    palette.buttonText: Theme.pal.buttonText
    palette.highlight: Theme.pal.highlight
    palette.highlightedText: Theme.pal.highlightedText
    palette.light: Theme.pal.light
    palette.midlight: Theme.pal.midlight
    palette.mid: Theme.pal.mid
    palette.dark: Theme.pal.dark
    palette.shadow: Theme.pal.shadow
    palette.placeholderText: Theme.pal.placeholderText
    palette.toolTipBase: Theme.pal.window
    palette.toolTipText: Theme.pal.windowText

    // The main view, once the profile is open (the tests reach it here).
    readonly property Item mainView: stack.item && stack.item.objectName === "mainView"
                                     ? stack.item : null

    Loader {
        id: stack
        anchors.fill: parent
        sourceComponent: window.session.stage === SessionController.FirstRun ? wizard
                       : window.session.stage === SessionController.Unlock ? unlock : main
    }

    Component {
        id: wizard
        FirstRunWizard { session: window.session }
    }
    Component {
        id: unlock
        UnlockPage { session: window.session }
    }
    Component {
        id: main
        MainView {
            session: window.session
            windowActive: window.active
        }
    }

    Shortcut {
        sequences: [StandardKey.Quit, "Ctrl+Q"]
        context: Qt.ApplicationShortcut
        onActivated: Qt.quit()
    }

    // Called by the tray when a notification is clicked.
    function openContact(contact) {
        window.show();
        window.raise();
        window.requestActivate();
        if (mainView)
            mainView.openContact(contact);
    }
}
