# install rules (included from CMakeLists.txt)
install(TARGETS 3scale-upgrade RUNTIME DESTINATION bin)
install(PROGRAMS scripts/oc-sim DESTINATION bin)
