# install.cmake - what `cmake --install` puts where, and the .deb (CPack).
# Included from the top CMakeLists.txt after the targets exist.
#
#   sbin/ifaxgw                       the daemon and its commands
#   bin/ifaxgw-vline                  the virtual fax line (try it without hardware)
#   share/man/man8/ifaxgw.8, man5/ifaxgw.conf.5
#   lib/systemd/system/ifaxgw.service ExecStart names the install prefix's sbin
#   share/doc/ifaxgw/                 README, docs/*.md, examples/*.conf
#   /etc/ifaxgw/ifaxgw.conf           commented default; always /etc: the
#                                     path the binary reads (CONFIG_DEFAULT_FILE)
#
# The package: `cpack -G DEB` in any build directory (it installs with
# prefix /usr). Dependencies come from
# dpkg-shlibdeps; the config is a conffile; contrib/debian/ holds the
# maintainer scripts (user, spool, unit; docs/architecture.md).
include(GNUInstallDirs)

install(TARGETS ifaxgw DESTINATION ${CMAKE_INSTALL_SBINDIR})
foreach(src ${CONTRIB_TOOLS})
  get_filename_component(name ${src} NAME_WE)
  install(TARGETS ${name} DESTINATION ${CMAKE_INSTALL_BINDIR})
endforeach()

install(FILES ${CMAKE_SOURCE_DIR}/contrib/man/ifaxgw.8
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${CMAKE_SOURCE_DIR}/contrib/man/ifaxgw.conf.5
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)

# The unit names /usr/sbin/ifaxgw; another prefix gets its own path. The
# prefix is the one in force at install time (--prefix, CPack's /usr).
set(IFAXGW_UNIT_OUT ${CMAKE_BINARY_DIR}/generated/ifaxgw.service)
install(CODE "
  file(READ \"${CMAKE_SOURCE_DIR}/contrib/systemd/ifaxgw.service\" unit)
  string(REPLACE \"/usr/sbin/ifaxgw\"
         \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}/ifaxgw\" unit \"\${unit}\")
  file(WRITE \"${IFAXGW_UNIT_OUT}\" \"\${unit}\")")
install(FILES ${IFAXGW_UNIT_OUT} DESTINATION lib/systemd/system)

install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB IFAXGW_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${IFAXGW_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB IFAXGW_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/contrib/examples/*.conf)
install(FILES ${IFAXGW_EXAMPLES} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

install(FILES ${CMAKE_SOURCE_DIR}/contrib/etc/ifaxgw.conf DESTINATION /etc/ifaxgw
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)

# --- the .deb
set(CPACK_PACKAGE_NAME ifaxgw)
set(CPACK_PACKAGE_VENDOR "ifaxgw")
set(CPACK_PACKAGE_CONTACT "ifaxgw maintainers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Internet-fax gateway: fax line and scanner to SMTP with CONNEG")
set(CPACK_PACKAGE_DESCRIPTION
    "ifaxgw receives faxes on a Class 1 modem or 8 kHz audio line (SpanDSP T.30)
and scans (SANE), keeps them in a durable spool and delivers them by SMTP:
directly to Internet fax devices (CONNEG, TIFF-FX) or through a smarthost.")
# /etc/ifaxgw is an absolute destination: install with DESTDIR, prefix /usr
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# postinst uses useradd/groupadd (passwd), prerm/postinst systemctl if present
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sane-utils, efax")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/contrib/debian/conffiles
    ${CMAKE_SOURCE_DIR}/contrib/debian/postinst
    ${CMAKE_SOURCE_DIR}/contrib/debian/prerm
    ${CMAKE_SOURCE_DIR}/contrib/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_GENERATOR DEB)
include(CPack)
