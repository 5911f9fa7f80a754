# install.cmake - what `cmake --install` puts where, and the .deb (CPack).
# Included from the top CMakeLists.txt after the targets exist.
#
#   sbin/ifaxgw                       the daemon and its commands
#   bin/ifaxgw-vline                  the virtual fax line (try it without hardware)
#   share/man/man8/ifaxgw.8.gz, man5/ifaxgw.conf.5.gz, man1/ifaxgw-vline.1.gz
#   lib/systemd/system/ifaxgw.service ExecStart names the install prefix's sbin
#   share/doc/ifaxgw/                 README, docs/*.md, examples/*.conf,
#                                     copyright, changelog.gz (contrib/debian/)
#   share/lintian/overrides/ifaxgw    the deliberate lintian tags, with reasons
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

# Man pages and the changelog go in gzip -9n (no name or time stamp in
# the header, so the bytes depend only on the text), as Debian policy asks.
set(IFAXGW_GZ_DIR ${CMAKE_BINARY_DIR}/generated/gz)
set(IFAXGW_GZ_SRC contrib/man/ifaxgw.8 contrib/man/ifaxgw.conf.5
    contrib/man/ifaxgw-vline.1 contrib/debian/changelog)
install(CODE "
  file(MAKE_DIRECTORY \"${IFAXGW_GZ_DIR}\")
  foreach(src ${IFAXGW_GZ_SRC})
    get_filename_component(name \${src} NAME)
    execute_process(COMMAND gzip -9n -c \"${CMAKE_SOURCE_DIR}/\${src}\"
                    OUTPUT_FILE \"${IFAXGW_GZ_DIR}/\${name}.gz\"
                    COMMAND_ERROR_IS_FATAL ANY)
  endforeach()")
install(FILES ${IFAXGW_GZ_DIR}/ifaxgw.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${IFAXGW_GZ_DIR}/ifaxgw.conf.5.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${IFAXGW_GZ_DIR}/ifaxgw-vline.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

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
# Debian's names: copyright (DEP-5) and, for a native package, changelog.gz.
# A new project(VERSION) needs a new top entry in contrib/debian/changelog
# (test_install checks they agree).
install(FILES ${CMAKE_SOURCE_DIR}/contrib/debian/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${IFAXGW_GZ_DIR}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/contrib/debian/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME ifaxgw)
file(GLOB IFAXGW_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${IFAXGW_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB IFAXGW_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/contrib/examples/*.conf)
install(FILES ${IFAXGW_EXAMPLES} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

install(FILES ${CMAKE_SOURCE_DIR}/contrib/etc/ifaxgw.conf DESTINATION /etc/ifaxgw
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)

# --- the .deb
set(CPACK_PACKAGE_NAME ifaxgw)
set(CPACK_PACKAGE_VENDOR "ifaxgw")
# The Maintainer field; a packager sets their own (-DIFAXGW_DEB_MAINTAINER=)
set(IFAXGW_DEB_MAINTAINER
    "ifaxgw maintainers <maintainers@users.noreply.r-seed-793e6e65.example>"
    CACHE STRING "Maintainer of the .deb (name <address>)")
set(CPACK_PACKAGE_CONTACT "${IFAXGW_DEB_MAINTAINER}")
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
