# SPDX-License-Identifier: GPL-2.0-or-later
# Installation layout and the Debian package (CPack DEB) of icmpwall.
# Included from the top-level CMakeLists.txt. `cpack -G DEB` in a build
# directory writes icmpwall_<version>_<arch>.deb; .ci/package builds,
# installs and checks it.
#
# Paths follow Debian: the packaging prefix is /usr, the unit goes to
# /lib/systemd/system (bookworm's systemd unit directory), the config to
# /etc (a conffile). Only the icmpwall component is packaged, so nothing
# the tests or benchmarks might install ends up in the package.

set(ICMPWALL_PKG_DIR ${CMAKE_CURRENT_LIST_DIR})

install(FILES ${ICMPWALL_PKG_DIR}/systemd/icmpwall.service
        DESTINATION /lib/systemd/system COMPONENT icmpwall)
install(FILES ${ICMPWALL_PKG_DIR}/icmpwall.toml
        DESTINATION /etc/icmpwall COMPONENT icmpwall)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/policies/
        DESTINATION share/icmpwall/policies COMPONENT icmpwall
        FILES_MATCHING PATTERN "*.toml")
install(FILES ${ICMPWALL_PKG_DIR}/bash-completion/icmpwall
        DESTINATION share/bash-completion/completions COMPONENT icmpwall)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${ICMPWALL_PKG_DIR}/debian/copyright
        DESTINATION share/doc/icmpwall COMPONENT icmpwall)

# The man page and the changelog, compressed without a timestamp
# (reproducible), as Debian ships them.
find_program(ICMPWALL_GZIP gzip REQUIRED)
function(icmpwall_gzip src dest_dir)
  get_filename_component(name ${src} NAME)
  set(out ${CMAKE_BINARY_DIR}/packaging/${name}.gz)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
    COMMAND ${ICMPWALL_GZIP} -9 -n -c ${src} > ${out}
    DEPENDS ${src}
    COMMENT "Compressing ${name}"
    VERBATIM)
  add_custom_target(icmpwall_gzip_${name} ALL DEPENDS ${out})
  install(FILES ${out} DESTINATION ${dest_dir} COMPONENT icmpwall)
endfunction()
icmpwall_gzip(${ICMPWALL_PKG_DIR}/man/icmpwall.8 share/man/man8)
icmpwall_gzip(${ICMPWALL_PKG_DIR}/debian/changelog share/doc/icmpwall)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME icmpwall)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "icmpwall maintainers <maintainers@icmpwall.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "ICMP policy firewall manager")
set(CPACK_PACKAGE_DESCRIPTION
    "icmpwall compiles a TOML policy that says, per ICMP and ICMPv6 type and\n\
code, what happens on each netfilter hook (allow, drop, rate-limit or\n\
inspect) to one nftables table of its own and loads it atomically over\n\
netlink. Its daemon inspects queued ICMP for tunnels, address sweeps,\n\
forged redirects and forged errors. It needs no nft binary.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL icmpwall)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Appended to what dpkg-shlibdeps finds: postinst creates the system user
# (adduser); /bin/kill (procps) for the ExecReload drop-in the unit names
# when the stats socket is off (its own runs icmpwall reload). No nftables:
# icmpwall talks netlink itself.
# libsystemd0 and libnetfilter-queue1: opened by the daemon at run time
# (daemon/systemd.cpp, queue/messages.cpp), so the shared-library
# dependencies cannot see them.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, procps, libsystemd0, libnetfilter-queue1")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${ICMPWALL_PKG_DIR}/debian/conffiles
    ${ICMPWALL_PKG_DIR}/debian/postinst
    ${ICMPWALL_PKG_DIR}/debian/prerm
    ${ICMPWALL_PKG_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
