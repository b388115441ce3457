// Fixture for unit_layering: a core folder no layer declares.
#pragma once
