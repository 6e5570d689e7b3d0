# fio-json.awk: the one reader of fio's --output-format=json, for both sides:
#   guest  busybox awk, from tests/guest/lib.sh (run_fio, mixed_verify_pass, fio_json_rates);
#          mkinitramfs.sh copies this file to /tests/fio-json.awk
#   host   mawk or gawk, from tests/lib/bench_report.py (through subprocess)
# so the numbers the guest prints and the host reports come from the same code.
#
#   awk -v mode=MODE -f fio-json.awk FILE      (or the json on standard input)
#
#   mode=flat     every leaf as PATH<TAB>VALUE, PATH the keys and array indexes joined
#                 by "/" (jobs/0/read/clat_ns/percentile/99.000000); for looking around
#   mode=rates    one line "IOPS MB/s MEAN-CLAT-US": all jobs, read + write + trim (the
#                 mean completion latency weighted by each direction's I/O count)
#   mode=verify   one line "JOBS ERRORS READ-BYTES WRITE-BYTES": the number of jobs, of jobs
#                 whose "error" is not 0, and the bytes read (a verify pass reads) and
#                 written, summed over the jobs
#   mode=metrics  "KEY VALUE" lines for the bench report (tests/lib/bench_report.py):
#                   complete 1|0   the document was read to its closing brace
#                   jobs N, error E (the first non-zero job error, else 0), ramp_time S
#                   (from the global options, else the first job's)
#                   iops, mbs (1e6 B/s), ios, clat_mean_us: all jobs, all directions
#                   for each direction D with I/O: D_ios, D_iops, D_clat_mean_us, and
#                   D_p50_us, D_p99_us, D_p99.9_us: fio's completion latency percentiles
#                   (clat_ns.percentile) of the first job, which is the only one under
#                   group_reporting; a percentile the job did not ask for is left out
#
# A real (small) JSON reader, not a grep on fio's indentation: it keeps a stack of the open
# objects and arrays and reads tokens line by line, so any layout works (fio's, or one line).
# Text before the document (fio's notes) and after it is skipped. Strings lose their escapes
# (\n and \t become blanks, \uXXXX becomes "?"); numbers stay as written. POSIX awk only:
# busybox, mawk and gawk.

BEGIN {
	d = 0          # depth: 0 outside the document
	done = 0       # the top-level value was closed
}

done { next }

{
	line = $0
	while (line != "") {
		sub(/^[ \t\r]+/, "", line)
		if (line == "")
			break
		c = substr(line, 1, 1)
		if (d == 0 && c != "{") {
			line = ""      # not (yet) the document (fio json is an object): skip the line
			break
		}
		if (c == "{" || c == "[") {
			p = d ? child_path() : ""
			d++
			typ[d] = c == "{" ? "o" : "a"
			pth[d] = p
			idx[d] = 0
			want_key[d] = typ[d] == "o"
			line = substr(line, 2)
		} else if (c == "}" || c == "]") {
			d--
			line = substr(line, 2)
			if (d == 0) {
				done = 1
				break
			}
		} else if (c == ":") {
			want_key[d] = 0
			line = substr(line, 2)
		} else if (c == ",") {
			if (typ[d] == "a")
				idx[d]++
			else
				want_key[d] = 1
			line = substr(line, 2)
		} else if (c == "\"") {
			s = read_string()
			if (typ[d] == "o" && want_key[d])
				key[d] = s
			else
				leaf(child_path(), s)
		} else if (match(line, /^[^],:{}[ \t\r]+/)) {
			leaf(child_path(), substr(line, 1, RLENGTH))
			line = substr(line, RLENGTH + 1)
		} else {
			line = substr(line, 2)     # not JSON: step over it
		}
	}
}

# child_path: the path of the value that comes next in the container at depth d.
function child_path(name) {
	name = typ[d] == "o" ? key[d] : idx[d]
	return pth[d] == "" ? name : pth[d] "/" name
}

function leaf(path, value) {
	V[path] = value
	order[++nleaves] = path
}

# read_string: the string at the start of line (which starts with its quote), unescaped;
# line is left after the closing quote.
function read_string(rest, s, q, b, e) {
	rest = substr(line, 2)
	s = ""
	while (1) {
		q = index(rest, "\"")
		b = index(rest, "\\")
		if (q == 0) {                  # unterminated: take the rest of the line
			s = s rest
			rest = ""
			break
		}
		if (b > 0 && b < q) {
			e = substr(rest, b + 1, 1)
			s = s substr(rest, 1, b - 1)
			if (e == "u") {                # \uXXXX: one "?"
				s = s "?"
				rest = substr(rest, b + 6)
				continue
			}
			if (e == "n" || e == "t" || e == "r" || e == "f" || e == "b")
				s = s " "
			else
				s = s e
			rest = substr(rest, b + 2)
			continue
		}
		s = s substr(rest, 1, q - 1)
		rest = substr(rest, q + 1)
		break
	}
	line = rest
	return s
}

function num(path) {
	return (path in V) ? V[path] + 0 : 0
}

END {
	njobs = 0
	while (("jobs/" njobs "/jobname") in V)
		njobs++
	split("read write trim", dirs, " ")
	iops = bw = ios = lat = 0
	errs = rd = wr = 0
	err1 = 0
	for (j = 0; j < njobs; j++) {
		p = "jobs/" j "/"
		if (num(p "error") != 0) {
			errs++
			if (!err1)
				err1 = num(p "error")
		}
		rd += num(p "read/io_bytes")
		wr += num(p "write/io_bytes")
		for (k = 1; k <= 3; k++) {
			q = p dirs[k] "/"
			n = num(q "total_ios")
			iops += num(q "iops")
			bw += num(q "bw_bytes")
			ios += n
			lat += num(q "clat_ns/mean") * n
			dios[k] += n
			diops[k] += num(q "iops")
			dlat[k] += num(q "clat_ns/mean") * n
		}
	}
	if (mode == "flat") {
		for (i = 1; i <= nleaves; i++)
			if (!(order[i] in shown)) {
				shown[order[i]] = 1
				printf "%s\t%s\n", order[i], V[order[i]]
			}
	} else if (mode == "rates") {
		printf "%.0f %.1f %.1f\n", iops, bw / 1e6, ios ? lat / ios / 1000 : 0
	} else if (mode == "verify") {
		printf "%d %d %.0f %.0f\n", njobs, errs, rd, wr
	} else if (mode == "metrics") {
		printf "complete %d\njobs %d\nerror %d\n", done, njobs, err1
		ramp = "global options/ramp_time"
		if (!(ramp in V))
			ramp = "jobs/0/job options/ramp_time"
		printf "ramp_time %s\n", num(ramp)
		printf "iops %.6f\nmbs %.6f\nios %.0f\n", iops, bw / 1e6, ios
		printf "clat_mean_us %.6f\n", ios ? lat / ios / 1000 : 0
		for (k = 1; k <= 3; k++) {
			if (!dios[k])
				continue
			printf "%s_ios %.0f\n%s_iops %.6f\n", dirs[k], dios[k], dirs[k], diops[k]
			printf "%s_clat_mean_us %.6f\n", dirs[k], dlat[k] / dios[k] / 1000
			q = "jobs/0/" dirs[k] "/clat_ns/percentile/"
			split("", P)
			for (path in V)
				if (index(path, q) == 1)
					P[substr(path, length(q) + 1) + 0] = V[path] / 1000
			if (50 in P)
				printf "%s_p50_us %.3f\n", dirs[k], P[50]
			if (99 in P)
				printf "%s_p99_us %.3f\n", dirs[k], P[99]
			if (99.9 in P)
				printf "%s_p99.9_us %.3f\n", dirs[k], P[99.9]
		}
	} else {
		print "fio-json.awk: mode must be flat, rates, verify or metrics" > "/dev/stderr"
		exit 2
	}
}
