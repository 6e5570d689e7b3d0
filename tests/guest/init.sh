#!/bin/sh
# Guest /init (busybox sh): mounts the pseudo filesystems, runs the tests named by the kernel
# command line knob rnvtest=NAME[,NAME...] (/tests/t_NAME.sh, each under bash and a timeout),
# checks dmesg for kernel warnings, prints RNV-DONE and powers off. It must never hang.
# Knobs arrive as environment variables (the kernel hands unknown name=value args to init):
#   rnvtest    tests to run            rnvdriver  rocknvme (default) | nvme
#   rnvsize    expected disk bytes     rnvlbs     expected logical block size
#   rnvmaxkb   max transfer (KiB) the disk may advertise (from the controller's MDTS)
#   rnvtimeout seconds per test (default 600)
export PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin
export HOME=/tmp

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1
# The kernel's own module requests (crypto-crc32c, ...) go to kmod, not busybox's applet.
echo /usr/local/sbin/modprobe >/proc/sys/kernel/modprobe
# Keep info-level driver chatter off the console so result lines stay whole; warnings show.
dmesg -n 5

export rnvtest rnvdriver rnvsize rnvlbs rnvmaxkb
tmo=${rnvtimeout:-600}
failed=0
echo "RNV-BOOTED $(uname -r) $(uname -m) driver=${rnvdriver:-rocknvme} tests=${rnvtest:-}"

for t in $(echo "${rnvtest:-}" | tr ',' ' '); do
	if [ ! -f "/tests/t_$t.sh" ]; then
		echo "RNV-RESULT FAIL $t no such test /tests/t_$t.sh"
		failed=1
		continue
	fi
	echo "RNV-RUN $t"
	start=$(date +%s)
	: >/tmp/results
	# The test runs in its own session so that a timeout kills it with all its children;
	# a test stuck in the kernel (D state) gets reported and the guest powers off anyway.
	setsid /usr/local/bin/bash "/tests/t_$t.sh" &
	pid=$!
	(
		sleep "$tmo"
		echo "RNV-RESULT FAIL $t timed out after ${tmo}s"
		kill -KILL -- "-$pid" 2>/dev/null
		sleep 15
		if kill -0 "$pid" 2>/dev/null; then
			echo "RNV-RESULT FAIL $t unkillable after timeout (stuck in the kernel)"
			echo w >/proc/sysrq-trigger
			dmesg | tail -n 200
			echo "RNV-DONE"
			poweroff -f
		fi
	) &
	dog=$!
	wait "$pid"
	rc=$?
	kill "$dog" 2>/dev/null
	if [ "$rc" != 0 ]; then
		echo "RNV-RESULT FAIL $t exited with status $rc"
		failed=1
	elif [ ! -s /tmp/results ]; then
		echo "RNV-RESULT FAIL $t printed no result"
		failed=1
	fi
	grep -q '^RNV-RESULT FAIL' /tmp/results && failed=1
	echo "RNV-TIME $t $(($(date +%s) - start))s"
done

bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|Call [Tt]race|Unable to handle' | head -n 1)
if [ -n "$bad" ]; then
	echo "RNV-RESULT FAIL dmesg-clean $bad"
	failed=1
else
	echo "RNV-RESULT PASS dmesg-clean no kernel warnings"
fi
if [ "$failed" != 0 ]; then
	echo "RNV-DMESG-BEGIN"
	dmesg
	echo "RNV-DMESG-END"
fi
echo "RNV-DONE"
sync
poweroff -f
echo o >/proc/sysrq-trigger
sleep 10
