// Fixture for unit_layering: Qt in the core.
#include <QObject>
#include <vector>
