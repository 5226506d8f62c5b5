# Embeds the migrations storage/schema/NNN_name.sql into the program as
# C strings (the Makefile writes $(BUILD)/storage/schema_sql.c with it),
# and with -v name=schema_pg PostgreSQL's dialect of the same steps, which
# pg.awk derives from them into $(BUILD)/storage/schema/pg/, as
# schema_pg_migrations, schema_pg_version.
#
# Files are given in order and must be numbered 001, 002, ... without a
# gap: migration NNN takes PRAGMA user_version from NNN - 1 to NNN.
# In a file, "--" to the end of a line is a comment (so no "--" inside a
# string literal) and blank lines are dropped; the other lines are joined
# without their newlines.  So each line is one piece of a statement, and
# the text SQLite keeps in sqlite_master is the same, byte for byte, as
# when the migrations were C strings in db.c: a line that continues a
# statement starts with its blank.
BEGIN {
	n = 0
	if (name == "")
		name = "schema"
	print "/* Generated from storage/schema/NNN_name.sql by embed.awk: do not edit. */"
	print "#include \"schema.h\""
}
FNR == 1 {
	if (n > 0)
		print ";"
	n++
	file = FILENAME
	sub(/.*\//, "", file)
	if (file !~ /^[0-9][0-9][0-9]_[a-z0-9_]+\.sql$/ || file + 0 != n) {
		printf "%s: expected %03d_name.sql\n", FILENAME, n > "/dev/stderr"
		bad = 1
		exit 1
	}
	printf "\n/* %s */\nstatic const char m%03d[] = \"\"", file, n
}
{
	line = $0
	sub(/[ \t]*--.*$/, "", line)
	if (line == "")
		next
	gsub(/\\/, "\\\\", line)
	gsub(/"/, "\\\"", line)
	gsub(/\t/, "\\t", line)
	printf "\n\t\"%s\"", line
}
END {
	if (bad)
		exit 1
	if (n > 0)
		print ";"
	print ""
	print "const char *const " name "_migrations[] = {"
	for (i = 1; i <= n; i++)
		printf "\tm%03d,\n", i
	print "\tNULL"
	print "};"
	printf "const int %s_version = %d;\n", name, n
}
