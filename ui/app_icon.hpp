// Sotto's icon, drawn in code so the window, the tray and the package share
// one picture without an image file to keep in sync: a speech bubble with
// a keyhole (private conversation), optionally with an unread-count badge
// for the tray.
#pragma once

#include <QIcon>
#include <QImage>

namespace sotto::ui {

QImage app_icon_image(int size, int badge = 0);
// Sizes 16..256, for QWindow::setIcon and the tray.
QIcon app_icon(int badge = 0);

}  // namespace sotto::ui
