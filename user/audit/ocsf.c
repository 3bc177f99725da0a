// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The audit record as an OCSF 1.1.0 event: the class and activity of each record type, and
 * the user, file and process objects. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "lib/defaults.h"
#include "lib/util.h"
#include "audit/format.h"
#include "audit/sink.h"

/* ------------------------------------------------------------------ OCSF */

struct ocsf_class {
	int class_uid, category_uid, activity_id;
	const char *class_name, *category_name, *activity_name;
};

static const char *hook_activity(const char *hook, const char *perm, const char *type,
				 int *id)
{
	static const struct { const char *hook; int id; const char *name; } fs[] = {
		{ "file_open", 14, "Open" }, { "link", 1, "Create" }, { "create", 1, "Create" },
		{ "unlink", 4, "Delete" }, { "rmdir", 4, "Delete" }, { "rename", 5, "Rename" },
		{ "setattr", 6, "Set Attributes" }, { "xattr", 6, "Set Attributes" },
	};

	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		if (!strcmp(hook, fs[i].hook)) {
			*id = fs[i].id;
			return fs[i].name;
		}
	if (!strcmp(hook, "file_permission") || !strcmp(hook, "mmap")) {
		bool w = perm && !strcmp(perm, "write");

		*id = w ? 3 : 2;
		return w ? "Update" : "Read";
	}
	*id = 99;
	return "Other";
}

/* A refused operation on the gate that is not about a file (those are File System
 * Activity like any access): true when it set the class. */
static bool ocsf_tamper_class(const char *hook, struct ocsf_class *c)
{
	if (!strcmp(hook, "kernel_load"))
		*c = (struct ocsf_class){ 1002, 1, 1, "Kernel Extension Activity",
					  "System Activity", "Load" };
	else if (!strcmp(hook, "ptrace"))
		*c = (struct ocsf_class){ 1007, 1, 4, "Process Activity", "System Activity",
					  "Inject" };
	else if (!strcmp(hook, "kill"))
		*c = (struct ocsf_class){ 1007, 1, 2, "Process Activity", "System Activity",
					  "Terminate" };
	else if (!strcmp(hook, "bpf") || !strcmp(hook, "bpf_object") ||
		 !strcmp(hook, "lockdown"))
		*c = (struct ocsf_class){ 1003, 1, 99, "Kernel Activity", "System Activity",
					  "Other" };
	else if (!strcmp(hook, "jitgated"))
		*c = (struct ocsf_class){ 6002, 6, 7, "Application Lifecycle",
					  "Application Activity", "Disable" };
	else
		return false;
	return true;
}

static void ocsf_class_of(json_t *rec, struct ocsf_class *c)
{
	const char *type = str_of(rec, "type") ? str_of(rec, "type") : "";
	const char *hook = str_of(rec, "hook") ? str_of(rec, "hook") : "";

	*c = (struct ocsf_class){ 6002, 6, 99, "Application Lifecycle", "Application Activity",
				  "Other" };
	if (!strcmp(type, "tamper.deny") && ocsf_tamper_class(hook, c))
		return;
	if (!strncmp(type, "access.", 7) || !strcmp(type, "session.exec") ||
	    !strcmp(type, "tamper.deny") || !strcmp(type, "session.file")) {
		if (!strcmp(hook, "exec") || !strcmp(hook, "setuid_exec") ||
		    !strcmp(hook, "setuid")) {
			bool setuid = !strcmp(hook, "setuid");

			*c = (struct ocsf_class){ 1007, 1, setuid ? 5 : 1, "Process Activity",
						  "System Activity",
						  setuid ? "Set User ID" : "Launch" };
		} else if (!strcmp(hook, "connect") || !strcmp(hook, "sendmsg") ||
			   !strcmp(hook, "bind")) {
			*c = (struct ocsf_class){ 4001, 4, 99, "Network Activity",
						  "Network Activity", "Other" };
			if (!strcmp(hook, "connect")) {
				bool deny = !strcmp(type, "access.deny");

				c->activity_id = deny ? 5 : 1;
				c->activity_name = deny ? "Refuse" : "Open";
			} else if (!strcmp(hook, "sendmsg")) {
				c->activity_id = 6;
				c->activity_name = "Traffic";
			}
		} else {
			*c = (struct ocsf_class){ 1001, 1, 99, "File System Activity",
						  "System Activity", "Other" };
			c->activity_name = hook_activity(hook, str_of(rec, "perm"), type,
							 &c->activity_id);
		}
	} else if (!strncmp(type, "grant.", 6) || !strcmp(type, "mfa.enroll") ||
		   !strcmp(type, "mfa.lockout") || !strcmp(type, "mfa.unlock")) {
		bool attach = !strcmp(type, "grant.create") || !strcmp(type, "grant.extend") ||
			      !strcmp(type, "grant.error") || !strcmp(type, "grant.restored");

		*c = (struct ocsf_class){ 3001, 3, attach ? 7 : 8, "Account Change",
					  "Identity & Access Management",
					  attach ? "Attach Policy" : "Detach Policy" };
		if (!strcmp(type, "mfa.enroll")) {
			c->activity_id = 10;
			c->activity_name = "MFA Factor Enable";
		} else if (!strcmp(type, "mfa.lockout")) {
			c->activity_id = 9;
			c->activity_name = "Lock";
		} else if (!strcmp(type, "mfa.unlock")) {
			c->activity_id = 12;
			c->activity_name = "Unlock";
		}
	} else if (!strcmp(type, "mfa.fail")) {
		*c = (struct ocsf_class){ 3002, 3, 99, "Authentication",
					  "Identity & Access Management", "Other" };
	} else if (!strncmp(type, "request.", 8)) {
		*c = (struct ocsf_class){ 3004, 3, 3, "Entity Management",
					  "Identity & Access Management", "Update" };
		if (!strcmp(type, "request.create") || !strcmp(type, "request.refused")) {
			c->activity_id = 1;
			c->activity_name = "Create";
		} else if (!strcmp(type, "request.cancel") || !strcmp(type, "request.expire")) {
			c->activity_id = 4;
			c->activity_name = "Delete";
		}
	} else {
		/* the daemon's own lifecycle: Application Lifecycle, set above */
		static const struct { const char *type; int id; const char *name; } life[] = {
			{ "daemon.start", 3, "Start" },   { "daemon.stop", 4, "Stop" },
			{ "policy.load", 8, "Update" },   { "policy.reject", 8, "Update" },
			{ "gate.unload", 7, "Disable" },
		};

		for (size_t i = 0; i < sizeof(life) / sizeof(life[0]); i++)
			if (!strcmp(type, life[i].type)) {
				c->activity_id = life[i].id;
				c->activity_name = life[i].name;
			}
	}
}

/* OCSF user: {name, uid (a string in OCSF)}; NULL when u names nobody. */
static json_t *ocsf_user(json_t *u)
{
	json_t *o, *uid;

	if (!json_is_object(u))
		return NULL;
	o = json_object();
	if (str_of(u, "user"))
		json_object_set_new(o, "name", json_string(str_of(u, "user")));
	uid = json_object_get(u, "uid");
	if (json_is_integer(uid)) {
		char s[24];

		snprintf(s, sizeof(s), "%lld", (long long)json_integer_value(uid));
		json_object_set_new(o, "uid", json_string(s));
	}
	return o;
}

static json_t *ocsf_file(const char *path, json_t *obj)
{
	json_t *f = json_object();
	char uid[64];

	json_object_set_new(f, "name", json_string(path ? base_name(path) : ""));
	if (path)
		json_object_set_new(f, "path", json_string(path));
	if (json_is_integer(json_object_get(obj, "ino"))) {
		snprintf(uid, sizeof(uid), "%s:%lld", str_of(obj, "dev") ? str_of(obj, "dev") : "?",
			 (long long)json_integer_value(json_object_get(obj, "ino")));
		json_object_set_new(f, "uid", json_string(uid));
	}
	json_object_set_new(f, "type_id", json_integer(0));
	return f;
}

static json_t *ocsf_process(json_t *p, json_t *rec)
{
	json_t *o = json_object(), *argv = json_object_get(rec, "argv");
	const char *exe = str_of(p, "exe");
	char uid[24];

	if (json_is_integer(json_object_get(p, "pid")))
		json_object_set(o, "pid", json_object_get(p, "pid"));
	if (str_of(p, "comm"))
		json_object_set_new(o, "name", json_string(str_of(p, "comm")));
	if (exe)
		json_object_set_new(o, "file", ocsf_file(exe, NULL));
	if (json_is_integer(json_object_get(p, "euid"))) {
		snprintf(uid, sizeof(uid), "%lld",
			 (long long)json_integer_value(json_object_get(p, "euid")));
		json_object_set_new(o, "user", json_pack("{s:s}", "uid", uid));
	}
	if (json_is_array(argv)) {
		struct sbuf b = { 0 };
		size_t i;
		json_t *a;

		json_array_foreach(argv, i, a) {
			if (i)
				sb_put(&b, " ", 1);
			sb_puts(&b, json_string_value(a) ? json_string_value(a) : "");
		}
		if (!b.oom && b.p)
			json_object_set_new(o, "cmd_line", json_string(b.p));
		free(b.p);
	}
	return o;
}

static const char *ocsf_severity(int sev, int *id)
{
	static const char *const names[] = { "Unknown", "Informational", "Low", "Medium", "High",
					     "Critical" };

	*id = sev >= 9 ? 5 : sev >= 7 ? 4 : sev >= 4 ? 3 : sev >= 2 ? 2 : 1;
	return names[*id];
}

/* The members of an access record (access.*, session.exec, session.file): who, which
 * process, what. */
static void ocsf_access(json_t *o, json_t *actor, json_t *rest, json_t *rec,
			const struct ocsf_class *c, const char *type)
{
	json_t *subject = json_object_get(rec, "subject"), *u;
	json_t *proc = json_object_get(rec, "process"), *obj = json_object_get(rec, "object");
	const char *hook = str_of(rec, "hook") ? str_of(rec, "hook") : "";

	if ((u = ocsf_user(subject))) {
		json_object_set_new(actor, "user", u);
		json_object_del(rest, "subject");
	}
	if (json_is_object(proc)) {
		if (c->class_uid == 1007) {
			json_t *p = ocsf_process(proc, rec);

			/* the program that was (or would have been) started */
			if (str_of(obj, "path"))
				json_object_set_new(p, "file",
						    ocsf_file(str_of(obj, "path"), obj));
			json_object_set_new(o, "process", p);
			json_object_del(rest, "argv");
		} else {
			json_object_set_new(actor, "process", ocsf_process(proc, rec));
		}
		json_object_del(rest, "process");
	}
	if (c->class_uid == 4001 && json_is_object(obj)) {
		json_t *ep = json_pack("{s:O?, s:O?}", "ip", json_object_get(obj, "addr"),
				       "port", json_object_get(obj, "port"));
		const char *fam = str_of(obj, "family");

		json_object_set_new(o, strcmp(hook, "bind") ? "dst_endpoint" : "src_endpoint",
				    ep);
		json_object_set_new(o, "connection_info",
				    json_pack("{s:i}", "protocol_ver_id",
					      fam && !strcmp(fam, "inet6") ? 6 : 4));
		json_object_del(rest, "object");
	} else if (c->class_uid == 1001 && json_is_object(obj)) {
		json_object_set_new(o, "file", ocsf_file(str_of(obj, "path"), obj));
		json_object_del(rest, "object");
	} else if (c->class_uid == 1007 && str_of(obj, "path")) {
		json_object_del(rest, "object");
	}
	if (!strcmp(type, "access.deny") || !strcmp(type, "tamper.deny"))
		json_object_set_new(o, "disposition_id", json_integer(2)),
		json_object_set_new(o, "disposition", json_string("Blocked"));
	else if (!strcmp(type, "access.allow") || !strcmp(type, "session.exec") ||
		 !strcmp(type, "session.file"))
		json_object_set_new(o, "disposition_id", json_integer(1)),
		json_object_set_new(o, "disposition", json_string("Allowed"));
	else if (!strcmp(type, "access.audit"))
		json_object_set_new(o, "disposition_id", json_integer(15)),
		json_object_set_new(o, "disposition", json_string("Detected"));
}

json_t *sink__ocsf(json_t *rec)
{
	json_t *rest = json_deep_copy(rec), *o = json_object(), *actor = json_object(), *u;
	const char *type = str_of(rec, "type") ? str_of(rec, "type") : "unknown";
	json_t *subject = json_object_get(rec, "subject"), *by = json_object_get(rec, "by");
	const struct ev_info *e = ev_info(type);
	bool access = !strncmp(type, "access.", 7) || !strcmp(type, "session.exec") ||
		      !strcmp(type, "tamper.deny") ||
		      !strcmp(type, "session.file");
	bool fail = is_failure(type);
	struct ocsf_class c;
	char tname[128];
	int sev_id;
	const char *sev_name = ocsf_severity(sink__severity(rec), &sev_id);
	int64_t ms = time_ms(str_of(rec, "time"));

	ocsf_class_of(rec, &c);
	snprintf(tname, sizeof(tname), "%s: %s", c.class_name, c.activity_name);
	json_object_set_new(o, "class_uid", json_integer(c.class_uid));
	json_object_set_new(o, "class_name", json_string(c.class_name));
	json_object_set_new(o, "category_uid", json_integer(c.category_uid));
	json_object_set_new(o, "category_name", json_string(c.category_name));
	json_object_set_new(o, "activity_id", json_integer(c.activity_id));
	json_object_set_new(o, "activity_name", json_string(c.activity_name));
	json_object_set_new(o, "type_uid", json_integer((json_int_t)c.class_uid * 100 +
							c.activity_id));
	json_object_set_new(o, "type_name", json_string(tname));
	json_object_set_new(o, "severity_id", json_integer(sev_id));
	json_object_set_new(o, "severity", json_string(sev_name));
	json_object_set_new(o, "time", json_integer(ms >= 0 ? ms : 0));
	json_object_set_new(o, "status_id", json_integer(fail ? 2 : 1));
	json_object_set_new(o, "status", json_string(fail ? "Failure" : "Success"));
	json_object_set_new(o, "message", json_string(e ? e->name : type));
	json_object_set_new(o, "metadata",
			    json_pack("{s:s, s:{s:s, s:s, s:s}, s:O?, s:O?, s:s}",
				      "version", "1.1.0", "product", "name", "jitgate",
				      "vendor_name", "jitgate", "version", JG_VERSION,
				      "sequence", json_object_get(rec, "seq"),
				      "original_time", json_object_get(rec, "time"),
				      "log_name", "audit"));
	json_object_set_new(o, "device", json_pack("{s:s, s:i}", "hostname",
						   str_of(rec, "host") ? str_of(rec, "host") : "",
						   "type_id", 0));
	json_object_del(rest, "seq");
	json_object_del(rest, "time");
	json_object_del(rest, "host");

	if (access) {
		ocsf_access(o, actor, rest, rec, &c, type);
	} else {
		if ((u = ocsf_user(by))) {
			json_object_set_new(actor, "user", u);
			json_object_del(rest, "by");
		}
		if ((c.class_uid == 3001 || c.class_uid == 3002) && (u = ocsf_user(subject))) {
			json_object_set_new(o, "user", u);
			json_object_del(rest, "subject");
		}
		if (c.class_uid == 3004 && str_of(rec, "request_id")) {
			json_object_set_new(o, "entity",
					    json_pack("{s:s, s:s, s:s?}", "uid",
						      str_of(rec, "request_id"), "type",
						      "access request", "name", str_of(rec, "role")));
			if (!json_object_get(actor, "user") && (u = ocsf_user(subject)))
				json_object_set_new(actor, "user", u);
		}
		if (c.class_uid == 6002)
			json_object_set_new(o, "app", json_pack("{s:s, s:s, s:s}", "name", "jitgate",
								"vendor_name", "jitgate",
								"version", JG_VERSION));
	}
	if (json_object_size(actor))
		json_object_set_new(o, "actor", actor);
	else
		json_decref(actor);
	if (json_object_size(rest))
		json_object_set_new(o, "unmapped", rest);
	else
		json_decref(rest);
	return o;
}
