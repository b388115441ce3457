// Loads the app's main window (Main.qml with the image provider for QR codes
// and screen grabs) over a SessionController. One loader for the app, the
// UI tests and the start-up benchmark, so the benchmark and the tests
// measure and drive exactly what users start.
#pragma once

class QQmlApplicationEngine;
class QQuickWindow;

namespace sotto::ui {

class SessionController;

// Null if the QML could not be loaded (the engine has printed why).
QQuickWindow* load_main_window(QQmlApplicationEngine& engine, SessionController& session);

}  // namespace sotto::ui
