#include "ui/main_window.hpp"

#include <QQmlApplicationEngine>
#include <QQuickWindow>

#include "ui/image_provider.hpp"
#include "ui/session_controller.hpp"

namespace sotto::ui {

QQuickWindow* load_main_window(QQmlApplicationEngine& engine, SessionController& session) {
    engine.addImportPath(QStringLiteral("qrc:/qt/qml"));
    engine.addImageProvider(QLatin1String(ImageProvider::kId),
                            new ImageProvider(session.screen_grab()));
    engine.setInitialProperties({{QStringLiteral("session"), QVariant::fromValue(&session)}});
    engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Sotto/Ui/Main.qml")));
    if (engine.rootObjects().isEmpty()) return nullptr;
    return qobject_cast<QQuickWindow*>(engine.rootObjects().constFirst());
}

}  // namespace sotto::ui
