# cmake/install.cmake - included from CMakeLists.txt: what `cmake --install` puts where,
# and the Debian package `cpack -G DEB` builds from it.
#
#   bin/3scale-upgrade                                   the program
#   bin/oc-sim, share/3scale-upgrade/oc_sim.py            the oc simulator (python3)
#   share/man/man1/3scale-upgrade.1[.gz]                 the man page (gzipped if gzip exists)
#   share/bash-completion/completions/3scale-upgrade     the bash completion
#   share/doc/3scale-upgrade/...                         README, docs, the runbook example
#
# Paths are relative to the prefix (CMAKE_INSTALL_PREFIX, or --prefix), so
# `cmake --install build --prefix "$HOME/.local"` works as well as a package.

include(GNUInstallDirs)

set(THREESCALE_DOCDIR "${CMAKE_INSTALL_DATADIR}/doc/3scale-upgrade")
set(THREESCALE_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
  CACHE STRING "where the bash completion is installed, relative to the prefix")

install(TARGETS 3scale-upgrade RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(PROGRAMS scripts/oc-sim DESTINATION "${CMAKE_INSTALL_BINDIR}")
# the simulator itself, imported by the launcher bin/oc-sim from ../share/3scale-upgrade
install(FILES scripts/oc_sim.py DESTINATION "${CMAKE_INSTALL_DATADIR}/3scale-upgrade")

# the man page: gzip -9n as Debian policy wants it, or plain when there is no gzip
find_program(THREESCALE_GZIP gzip)
set(_man_src "${CMAKE_CURRENT_SOURCE_DIR}/docs/3scale-upgrade.1")
if(THREESCALE_GZIP)
  set(_man_gz "${CMAKE_CURRENT_BINARY_DIR}/3scale-upgrade.1.gz")
  add_custom_command(OUTPUT "${_man_gz}"
    COMMAND sh -c "\"$0\" -9nc \"$1\" > \"$2\"" "${THREESCALE_GZIP}" "${_man_src}" "${_man_gz}"
    DEPENDS "${_man_src}"
    COMMENT "Compressing the man page"
    VERBATIM)
  add_custom_target(manpage ALL DEPENDS "${_man_gz}")
  install(FILES "${_man_gz}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
else()
  install(FILES "${_man_src}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
endif()

install(FILES completion/3scale-upgrade DESTINATION "${THREESCALE_BASH_COMPLETION_DIR}")

# documentation: README.md and every docs/*.md (a new one is picked up at the next configure)
file(GLOB _docs "${CMAKE_CURRENT_SOURCE_DIR}/docs/*.md")
install(FILES README.md ${_docs} DESTINATION "${THREESCALE_DOCDIR}")
if(EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/examples/runbook")
  install(FILES examples/runbook/runbook.bats examples/runbook/README.md
    DESTINATION "${THREESCALE_DOCDIR}/examples/runbook" OPTIONAL)
  install(PROGRAMS examples/runbook/upgrade-system-image.sh
    DESTINATION "${THREESCALE_DOCDIR}/examples/runbook" OPTIONAL)
endif()

# ---- CPack: a Debian package ------------------------------------------------------------
set(CPACK_PACKAGE_NAME "3scale-upgrade")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "3scale-upgrade")
set(CPACK_PACKAGE_CONTACT "3scale-upgrade maintainers <3scale-upgrade@example.com>"
  CACHE STRING "the package's Maintainer field: Name <address>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "patch the 3scale system image on OpenShift (3scale 2.9 to 2.10)")
# (no double quotes in it: CPack's config file would mangle them)
set(CPACK_PACKAGE_DESCRIPTION
"3scale-upgrade performs the Red Hat 3scale API Management upgrade step
Patching the system image, for template-based installs on OpenShift: it
adds the amp-system image stream tag, waits for its import, then moves the
image triggers of system-app, system-sidekiq and system-sphinx in the
documented order and waits for each rollout to finish. It drives the oc
client, which is not part of this package.
.
The package also ships oc-sim, a stateful simulator of oc and of a 3scale
2.9 project, for testing runbooks without a cluster (it needs python3).")
set(CPACK_PACKAGE_HOMEPAGE_URL "https://example.com/3scale-upgrade")

set(CPACK_GENERATOR "DEB")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
# oc-sim is a python3 script; the runbook example uses jq
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion, jq")

# Depends: computed from the binary by dpkg-shlibdeps (dpkg-dev) when it is there,
# else the libraries the program links, written out
find_program(THREESCALE_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(THREESCALE_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libuv1 (>= 1.18), libjansson4 (>= 2.7)")
endif()

set(CPACK_SOURCE_GENERATOR "TGZ")
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/\\\\.oc-sim/" "__pycache__")

include(CPack)
