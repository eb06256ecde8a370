# The web UI (docs/ui.md): when node and npm are found, `npm ci` (re-run only when the
# lockfile changes) and web/build.mjs bundle web/src into ${PROJECT_BINARY_DIR}/web/dist, and
# web/embed_assets.cmake turns the bundle plus the built-in dashboards into a C++ source linked
# into tally_server. Without node the source holds the dashboards only and /graph says the UI
# was not built. -DTALLY_BUILD_UI=OFF skips the bundle on purpose.
option(TALLY_BUILD_UI "Bundle the web UI with npm and embed it (needs node and npm)" ON)
find_program(TALLY_NODE node)
find_program(TALLY_NPM npm)

set(ui_src ${PROJECT_SOURCE_DIR}/web)
set(ui_out ${PROJECT_BINARY_DIR}/web)
set(ui_gen ${ui_out}/ui_assets_data.cc)
set(ui_dashboard ${PROJECT_SOURCE_DIR}/examples/llm-cost-tracker/dashboard.json)
set(ui_assets "dashboards/llm-cost.json|application/json|${ui_dashboard}")
set(ui_deps ${ui_dashboard} ${ui_src}/embed_assets.cmake)

if(TALLY_BUILD_UI AND TALLY_NODE AND TALLY_NPM)
  message(STATUS "Web UI: bundled with ${TALLY_NODE}")
  file(MAKE_DIRECTORY ${ui_out}/npm)
  add_custom_command(
    OUTPUT ${ui_out}/npm/ci.stamp
    COMMAND ${CMAKE_COMMAND} -E copy_if_different ${ui_src}/package.json ${ui_src}/package-lock.json
            ${ui_out}/npm/
    COMMAND ${TALLY_NPM} ci --include=dev --no-audit --no-fund --prefer-offline --loglevel=error
    COMMAND ${CMAKE_COMMAND} -E touch ${ui_out}/npm/ci.stamp
    WORKING_DIRECTORY ${ui_out}/npm
    DEPENDS ${ui_src}/package.json ${ui_src}/package-lock.json
    COMMENT "npm ci (web UI dependencies, from web/package-lock.json)"
    VERBATIM)
  file(GLOB ui_sources CONFIGURE_DEPENDS ${ui_src}/src/*)
  set(ui_dist ${ui_out}/dist/index.html ${ui_out}/dist/static/app.js ${ui_out}/dist/static/app.css)
  add_custom_command(
    OUTPUT ${ui_dist}
    COMMAND ${TALLY_NODE} ${ui_src}/build.mjs --out ${ui_out}/dist --modules ${ui_out}/npm/node_modules
    DEPENDS ${ui_out}/npm/ci.stamp ${ui_src}/build.mjs ${ui_sources}
    COMMENT "Bundling the web UI (esbuild)"
    VERBATIM)
  list(APPEND ui_assets
       "index.html|text/html|${ui_out}/dist/index.html"
       "static/app.js|text/javascript|${ui_out}/dist/static/app.js"
       "static/app.css|text/css|${ui_out}/dist/static/app.css")
  list(APPEND ui_deps ${ui_dist})
else()
  message(STATUS "Web UI: not built (node/npm not found or TALLY_BUILD_UI=OFF)")
endif()

# Entries joined with '!' so the list survives the command line as one argument.
list(JOIN ui_assets "!" ui_assets_arg)
add_custom_command(
  OUTPUT ${ui_gen}
  COMMAND ${CMAKE_COMMAND} -DOUT=${ui_gen} -DASSETS=${ui_assets_arg} -P ${ui_src}/embed_assets.cmake
  DEPENDS ${ui_deps}
  COMMENT "Embedding the web UI assets"
  VERBATIM)
target_sources(tally_server PRIVATE ${ui_gen})
