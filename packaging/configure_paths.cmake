# Writes the unit and the configuration file with the paths of an install:
# switchboard.service.in and switchboard.conf.in, their @SB_*@ replaced.
#
# Used twice, with the same code so that the two cannot differ:
#   - at configure time (packaging/CMakeLists.txt), into the build tree, with
#     CMAKE_INSTALL_PREFIX as configured: what the tests check;
#   - at install time (install(CODE)), with the prefix `cmake --install
#     --prefix` gives, so that `cmake --install build --prefix /opt/sb`
#     installs a unit that runs /opt/sb/sbin/switchboard.
#
# In: SB_SRC (packaging/), SB_OUT (where to write), SB_PREFIX, and the
# GNUInstallDirs directories SB_SBINDIR, SB_SYSCONFDIR, SB_LOCALSTATEDIR,
# SB_DATADIR as configured (relative ones are under SB_PREFIX).

function(sb_full_path out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${SB_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

sb_full_path(SB_SBINDIR "${SB_SBINDIR}")
sb_full_path(SB_CONFDIR "${SB_SYSCONFDIR}/switchboard")
sb_full_path(SB_STATEDIR "${SB_LOCALSTATEDIR}/lib/switchboard")
sb_full_path(SB_DATADIR "${SB_DATADIR}/switchboard")

# systemd makes /var/lib/switchboard itself (StateDirectory=) and gives it to
# User=; a state directory elsewhere (a prefix install) is the install's, and
# the unit only lets the server write there.
if(SB_STATEDIR STREQUAL "/var/lib/switchboard")
  set(SB_STATE_DIRECTIVES "StateDirectory=switchboard\nStateDirectoryMode=0750")
else()
  set(SB_STATE_DIRECTIVES "ReadWritePaths=${SB_STATEDIR}")
endif()

configure_file("${SB_SRC}/switchboard.service.in" "${SB_OUT}/switchboard.service" @ONLY)
configure_file("${SB_SRC}/switchboard.conf.in" "${SB_OUT}/switchboard.conf" @ONLY)
