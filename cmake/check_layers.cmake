# The layer check (issue 10, item 7): every #include in the tree points down
# the layers, never up or sideways. Run by the build on every change
# (target check_layers) and by unit_layering against a tree with wrong-way
# includes.
#
#   cmake -DSOURCE_DIR=<tree> -DLAYERS_FILE=<build>/sotto_layers.cmake [-DSTAMP=<file>]
#         -P cmake/check_layers.cmake
#
# The rules:
#   core/<f>   may include core/<f> and the core folders core/CMakeLists.txt
#              declares below <f> (LAYERS_FILE); never net/, ui/, app/, tests/,
#              bench/, nor a Qt header: core is sans-I/O and Qt-free
#   net/       core/ and net/
#   ui/        core/, net/ and ui/
#   app/       core/, net/, ui/ and app/
# A core folder the table does not list fails too: declare it first.
cmake_minimum_required(VERSION 3.25)

if(NOT SOURCE_DIR OR NOT LAYERS_FILE)
  message(FATAL_ERROR "usage: cmake -DSOURCE_DIR=... -DLAYERS_FILE=... -P check_layers.cmake")
endif()
include(${LAYERS_FILE})

set(violations "")
macro(violation file what)
  string(APPEND violations "  ${file}: ${what}\n")
endmacro()

file(GLOB_RECURSE files RELATIVE ${SOURCE_DIR} LIST_DIRECTORIES false
     ${SOURCE_DIR}/core/*.hpp ${SOURCE_DIR}/core/*.cpp ${SOURCE_DIR}/net/*.hpp
     ${SOURCE_DIR}/net/*.cpp ${SOURCE_DIR}/ui/*.hpp ${SOURCE_DIR}/ui/*.cpp
     ${SOURCE_DIR}/app/*.hpp ${SOURCE_DIR}/app/*.cpp)

foreach(file IN LISTS files)
  string(REGEX MATCH "^[a-z]+" top "${file}")
  set(folder "")
  if(top STREQUAL "core")
    string(REGEX REPLACE "^core/([^/]+)/.*" "\\1" folder "${file}")
    if(NOT folder IN_LIST SOTTO_LAYERS)
      violation(${file} "core/${folder} is not a layer: declare it in core/CMakeLists.txt")
      continue()
    endif()
  endif()
  file(STRINGS ${SOURCE_DIR}/${file} includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"].*" "\\1" target "${line}")
    string(REGEX MATCH "^[a-z]+/" target_top "${target}")
    if(top STREQUAL "core")
      if(line MATCHES "<Q[A-Za-z]")
        violation(${file} "includes the Qt header ${target}: core has no Qt")
      elseif(target MATCHES "^core/([^/]+)/")
        set(dep ${CMAKE_MATCH_1})
        if(NOT dep STREQUAL folder AND NOT dep IN_LIST SOTTO_LAYER_ALLOWED_${folder})
          string(REPLACE ";" ", " allowed "${SOTTO_LAYER_ALLOWED_${folder}}")
          violation(${file} "includes ${target}, but core/${folder} may include only: ${allowed}")
        endif()
      elseif(target_top MATCHES "^(net|ui|app|tests|bench)/$")
        violation(${file} "includes ${target}: core depends on nothing outside core")
      endif()
    elseif(top STREQUAL "net" AND target_top MATCHES "^(ui|app|tests|bench)/$")
      violation(${file} "includes ${target}: net may include only core/ and net/")
    elseif(top STREQUAL "ui" AND target_top MATCHES "^(app|tests|bench)/$")
      violation(${file} "includes ${target}: ui may include only core/, net/ and ui/")
    elseif(top STREQUAL "app" AND target_top MATCHES "^(tests|bench)/$")
      violation(${file} "includes ${target}: the apps do not build on test or benchmark code")
    endif()
  endforeach()
endforeach()

if(violations)
  message(FATAL_ERROR "layer check: includes that point the wrong way "
                      "(the layers: core/CMakeLists.txt, docs/architecture.md):\n${violations}")
endif()
if(STAMP)
  file(WRITE ${STAMP} "ok\n")
endif()
