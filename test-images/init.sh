#!/bb/busybox sh
# /init of the vm-run initramfs. Runs as PID 1 inside the test VM: mounts the guest's own /proc, /sys, /dev,
# /tmp and /run, the host's root READ-ONLY over 9p at /host (linked into / so host paths resolve), the scratch
# disk at /scratch, then runs the job vm-run described and reports its exit status on the console.
# It never returns: PID 1 exiting would panic the kernel and hide the script's status.
BB=/bb/busybox
/bb/busybox --install -s /bb
export PATH=/bb

fail() { echo "vm-run-guest: $*"; echo "@@VM-RUN-EXIT 125"; sync; poweroff -f; while :; do sleep 60; done; }

mkdir -p /proc /sys /dev /tmp /run /host /scratch
mount -t proc proc /proc || fail "cannot mount /proc"
mount -t sysfs sysfs /sys || fail "cannot mount /sys"
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true   # DEVTMPFS_MOUNT may have done it already
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
# The share is read-only on both ends (qemu's readonly=on and ro here): a guest writing through it would
# change the host's own files.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host \
    || fail "cannot mount the host share (9p)"
ip link set lo up 2>/dev/null

# Host paths resolve to the host's files, except those the guest owns.
for e in /host/* /host/.[!.]*; do
    name="${e#/host/}"
    case "$name" in
        proc|sys|dev|run|tmp|host|scratch|bb|init|lost+found|old_root|'.[!.]*'|'*') continue ;;
    esac
    [ -e "/$name" ] || [ -L "/$name" ] || ln -s "$e" "/$name"
done

if [ -b /dev/vda ]; then
    mount -t ext4 /dev/vda /scratch || fail "cannot mount the scratch disk /dev/vda"
fi

job=""
for arg in $(cat /proc/cmdline); do
    case "$arg" in vmrun.job=*) job="/host${arg#vmrun.job=}" ;; esac
done
[ -n "$job" ] && [ -r "$job" ] || fail "no job file (vmrun.job= on the kernel command line): $job"

mkdir -p /tmp/home
# The job file sets the environment, VM_RUN_CWD, and the positional parameters (script first).
(
    . "$job"
    cd "${VM_RUN_CWD:-/}" 2>/dev/null || cd /
    exec "$@"
) </dev/null
status=$?
sync
echo "@@VM-RUN-EXIT $status"
poweroff -f
while :; do sleep 60; done
