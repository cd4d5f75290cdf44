package dev.ondemandd.protocol.nativeio;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * Raw glibc process calls for the supervisor: posix_spawn(3) with file actions and attributes, waitpid(2),
 * kill(2). Interface mapping (not direct) because argv and envp are {@code String[]}, which JNA passes as
 * NULL-terminated {@code char *[]}; none of this is on a hot path. Package-private: {@link Processes} is the
 * Java face.
 */
interface SpawnNative extends Library {
    SpawnNative C = Native.load(Platform.C_LIBRARY_NAME, SpawnNative.class);

    /** sizeof(posix_spawn_file_actions_t) on glibc x86-64/arm64 is 80; room to spare. */
    int FILE_ACTIONS_SIZE = 256;
    /** sizeof(posix_spawnattr_t) on glibc x86-64/arm64 is 336; room to spare. */
    int ATTR_SIZE = 512;
    /** sizeof(sigset_t) on glibc: 1024 bits. */
    int SIGSET_SIZE = 128;

    short POSIX_SPAWN_SETPGROUP = 0x02;
    short POSIX_SPAWN_SETSIGDEF = 0x04;
    short POSIX_SPAWN_SETSIGMASK = 0x08;

    /** int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
     * char *const argv[], char *const envp[]); returns an error number, not -1/errno. */
    int posix_spawn(IntByReference pid, String path, Pointer fileActions, Pointer attr, String[] argv, String[] envp);

    int posix_spawn_file_actions_init(Pointer fileActions);

    int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

    /** glibc 2.34+: close every fd ≥ {@code from} in the child (after the earlier actions ran). */
    int posix_spawn_file_actions_addclosefrom_np(Pointer fileActions, int from);

    int posix_spawn_file_actions_destroy(Pointer fileActions);

    int posix_spawnattr_init(Pointer attr);

    int posix_spawnattr_setflags(Pointer attr, short flags);

    int posix_spawnattr_setpgroup(Pointer attr, int pgroup);

    int posix_spawnattr_setsigmask(Pointer attr, Pointer sigmask);

    int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigdefault);

    int posix_spawnattr_destroy(Pointer attr);

    int sigemptyset(Pointer set);

    int sigfillset(Pointer set);

    /** pid_t waitpid(pid_t pid, int *wstatus, int options); */
    int waitpid(int pid, IntByReference status, int options) throws LastErrorException;

    /** int kill(pid_t pid, int sig); */
    int kill(int pid, int sig) throws LastErrorException;

    /** int fcntl(int fd, int cmd, int arg); */
    int fcntl(int fd, int cmd, int arg) throws LastErrorException;
}
