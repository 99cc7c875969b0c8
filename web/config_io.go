package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/engine"
	"github.com/airlock-sync/airlock/models"
	"github.com/airlock-sync/airlock/views"
)

// configVersion is the version of the YAML configuration format.
const configVersion = 1

// configDoc is the exported configuration: instances without secrets, connections with rules.
type configDoc struct {
	Version     int             `yaml:"version"`
	ExportedAt  string          `yaml:"exported_at,omitempty"`
	Instances   []instanceDoc   `yaml:"instances"`
	Connections []connectionDoc `yaml:"connections"`
}

// instanceDoc is one instance in the YAML file. There is deliberately no secret field.
type instanceDoc struct {
	Name           string  `yaml:"name"`
	BaseURL        string  `yaml:"base_url"`
	Role           string  `yaml:"role"`
	AuthType       string  `yaml:"auth_type"`
	Username       string  `yaml:"username,omitempty"`
	CABundle       string  `yaml:"ca_bundle,omitempty"`
	MaxConcurrent  int     `yaml:"max_concurrent"`
	CallsPerSecond float64 `yaml:"calls_per_second"`
}

// connectionDoc is one connection in the YAML file; instances are referred to by name.
type connectionDoc struct {
	Name             string   `yaml:"name"`
	Local            string   `yaml:"local"`
	Remote           string   `yaml:"remote"`
	LocalProject     string   `yaml:"local_project"`
	RemoteProject    string   `yaml:"remote_project"`
	LocalIssueTypes  []string `yaml:"local_issue_types,omitempty"`
	RemoteIssueTypes []string `yaml:"remote_issue_types,omitempty"`
	LocalJQL         string   `yaml:"local_jql,omitempty"`
	RemoteJQL        string   `yaml:"remote_jql,omitempty"`
	PollInterval     string   `yaml:"poll_interval"`
	ConflictPolicy   string   `yaml:"conflict_policy"`
	DeletionPolicy   string   `yaml:"deletion_policy"`
	Paused           bool     `yaml:"paused"`
	// Draft connections sync nothing until activated in the console; absent means active.
	Draft        bool `yaml:"draft,omitempty"`
	AllowOverlap bool `yaml:"allow_overlap,omitempty"`
	// Rules is engine.Rules as YAML (absent: the default rules).
	Rules any `yaml:"rules,omitempty"`
}

// exportConfig writes the configuration of db as YAML, without any secret.
func exportConfig(ctx context.Context, db *gorm.DB, now time.Time) ([]byte, error) {
	var insts []models.Instance
	if err := db.WithContext(ctx).Order("name").Find(&insts).Error; err != nil {
		return nil, fmt.Errorf("export instances: %w", err)
	}
	var conns []models.Connection
	if err := db.WithContext(ctx).Order("name").Find(&conns).Error; err != nil {
		return nil, fmt.Errorf("export connections: %w", err)
	}
	names := map[uint]string{}
	doc := configDoc{Version: configVersion, ExportedAt: now.UTC().Format(time.RFC3339), Instances: []instanceDoc{}, Connections: []connectionDoc{}}
	for _, i := range insts {
		names[i.ID] = i.Name
		doc.Instances = append(doc.Instances, instanceDoc{Name: i.Name, BaseURL: i.BaseURL, Role: i.Role, AuthType: i.AuthType,
			Username: i.Username, CABundle: i.CABundle, MaxConcurrent: i.MaxConcurrent, CallsPerSecond: i.CallsPerSecond})
	}
	for _, c := range conns {
		cd := connectionDoc{Name: c.Name, Local: names[c.LocalInstanceID], Remote: names[c.RemoteInstanceID],
			LocalProject: c.LocalProject, RemoteProject: c.RemoteProject,
			LocalIssueTypes: splitList(c.LocalIssueTypes), RemoteIssueTypes: splitList(c.RemoteIssueTypes),
			LocalJQL: c.LocalJQL, RemoteJQL: c.RemoteJQL, PollInterval: (time.Duration(c.PollIntervalMS) * time.Millisecond).String(),
			ConflictPolicy: c.ConflictPolicy, DeletionPolicy: c.DeletionPolicy, Paused: c.Paused,
			Draft: c.Draft, AllowOverlap: c.AllowOverlap}
		if strings.TrimSpace(c.Rules) != "" {
			var r any
			if err := json.Unmarshal([]byte(c.Rules), &r); err != nil {
				return nil, fmt.Errorf("export connection %s: rules: %w", c.Name, err)
			}
			cd.Rules = r
		}
		doc.Connections = append(doc.Connections, cd)
	}
	var buf bytes.Buffer
	buf.WriteString("# Airlock configuration. Secrets (passwords, tokens) are never exported:\n")
	buf.WriteString("# after an import, enter them on the Instances page.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("export: encode YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("export: encode YAML: %w", err)
	}
	return buf.Bytes(), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// importPlan is what applying a YAML configuration would do, item by item.
type importPlan struct {
	preview views.ImportPreview
	insts   []plannedInstance
	conns   []plannedConnection
}

type plannedInstance struct {
	action string
	inst   models.Instance // the row to write (existing rows keep id and secret)
}

type plannedConnection struct {
	action        string
	conn          models.Connection
	local, remote string // instance names, resolved to ids when applied
}

// planImport parses and validates a YAML configuration against db and says what applying it
// would create or update. It writes nothing. allow is AIRLOCK_JIRA_ALLOWLIST (nil: any host).
func planImport(ctx context.Context, db *gorm.DB, data []byte, allow []string) (*importPlan, error) {
	p := &importPlan{}
	var doc configDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.preview.Problems = append(p.preview.Problems, "The file is empty.")
		} else {
			p.preview.Problems = append(p.preview.Problems, "This is not a valid Airlock configuration: "+err.Error())
		}
		return p, nil
	}
	if doc.Version != configVersion {
		p.preview.Problems = append(p.preview.Problems, fmt.Sprintf("Unknown format version %d (this node reads version %d).", doc.Version, configVersion))
		return p, nil
	}
	if len(doc.Instances) == 0 && len(doc.Connections) == 0 {
		p.preview.Problems = append(p.preview.Problems, "The file holds no instances and no connections.")
		return p, nil
	}
	var existing []models.Instance
	if err := db.WithContext(ctx).Find(&existing).Error; err != nil {
		return nil, fmt.Errorf("import: list instances: %w", err)
	}
	byName := map[string]*models.Instance{}
	known := map[string]bool{}
	for i := range existing {
		byName[strings.ToLower(existing[i].Name)] = &existing[i]
		known[existing[i].Name] = true
	}
	seen := map[string]bool{}
	for n, d := range doc.Instances {
		item := views.ImportItem{Kind: "instance", Name: d.Name}
		in := instanceInput{form: views.InstanceForm{Name: strings.TrimSpace(d.Name), BaseURL: strings.TrimSpace(d.BaseURL), Role: d.Role,
			AuthType: d.AuthType, Username: strings.TrimSpace(d.Username), CABundle: strings.TrimSpace(d.CABundle),
			MaxConcurrent: strconv.Itoa(d.MaxConcurrent), CallsPerSecond: strconv.FormatFloat(d.CallsPerSecond, 'f', -1, 64)}}
		if d.MaxConcurrent == 0 {
			in.form.MaxConcurrent = ""
		}
		in.allow = allow
		in.validate(true) // secrets are never in the file
		for _, k := range []string{"name", "base_url", "role", "auth_type", "username", "ca_bundle", "max_concurrent", "calls_per_second"} {
			if m := in.form.Errors[k]; m != "" {
				item.Errors = append(item.Errors, k+": "+m)
			}
		}
		key := strings.ToLower(in.form.Name)
		if in.form.Name != "" && seen[key] {
			item.Errors = append(item.Errors, fmt.Sprintf("name: %q appears twice in the file", in.form.Name))
		}
		seen[key] = true
		if item.Name == "" {
			item.Name = fmt.Sprintf("instances[%d]", n)
		}
		pi := plannedInstance{}
		if old, ok := byName[key]; ok {
			pi.inst = *old
			before := *old
			in.apply(&pi.inst)
			item.Changes = instanceChanges(before, pi.inst)
			pi.action = views.ImportUpdate
			if len(item.Changes) == 0 {
				pi.action = views.ImportUnchanged
			}
		} else {
			in.apply(&pi.inst)
			pi.action = views.ImportCreate
			item.NeedsCredentials = true
		}
		item.Action = pi.action
		if len(item.Errors) > 0 {
			item.Action = views.ImportInvalid
		}
		known[in.form.Name] = true
		p.preview.Items = append(p.preview.Items, item)
		p.insts = append(p.insts, pi)
	}

	var existingConns []models.Connection
	if err := db.WithContext(ctx).Find(&existingConns).Error; err != nil {
		return nil, fmt.Errorf("import: list connections: %w", err)
	}
	connByName := map[string]*models.Connection{}
	for i := range existingConns {
		connByName[strings.ToLower(existingConns[i].Name)] = &existingConns[i]
	}
	idName := map[uint]string{}
	for _, i := range existing {
		idName[i.ID] = i.Name
	}
	seenConn := map[string]bool{}
	for n, d := range doc.Connections {
		item := views.ImportItem{Kind: "connection", Name: d.Name}
		pc, errs := planConnection(d, known)
		item.Errors = errs
		key := strings.ToLower(pc.conn.Name)
		if pc.conn.Name != "" && seenConn[key] {
			item.Errors = append(item.Errors, fmt.Sprintf("name: %q appears twice in the file", pc.conn.Name))
		}
		seenConn[key] = true
		if item.Name == "" {
			item.Name = fmt.Sprintf("connections[%d]", n)
		}
		if old, ok := connByName[key]; ok {
			pc.conn.ID, pc.conn.CreatedAt = old.ID, old.CreatedAt
			item.Changes = connectionChanges(*old, pc, idName)
			pc.action = views.ImportUpdate
			if len(item.Changes) == 0 {
				pc.action = views.ImportUnchanged
			}
		} else {
			pc.action = views.ImportCreate
		}
		item.Action = pc.action
		if len(item.Errors) > 0 {
			item.Action = views.ImportInvalid
		}
		p.preview.Items = append(p.preview.Items, item)
		p.conns = append(p.conns, pc)
	}
	return p, nil
}

// planConnection validates one connection of the file; known holds the instance names that
// exist or are in the file.
func planConnection(d connectionDoc, known map[string]bool) (plannedConnection, []string) {
	var errs []string
	pc := plannedConnection{local: strings.TrimSpace(d.Local), remote: strings.TrimSpace(d.Remote)}
	c := &pc.conn
	c.Name = strings.TrimSpace(d.Name)
	switch {
	case c.Name == "":
		errs = append(errs, "name: a connection needs a name")
	case len(c.Name) > 100:
		errs = append(errs, "name: at most 100 characters")
	}
	for _, side := range []struct{ field, name string }{{"local", pc.local}, {"remote", pc.remote}} {
		switch {
		case side.name == "":
			errs = append(errs, side.field+": name the instance")
		case !known[side.name]:
			errs = append(errs, fmt.Sprintf("%s: no instance named %q on this node or in the file", side.field, side.name))
		}
	}
	if pc.local != "" && pc.local == pc.remote {
		errs = append(errs, "remote: must be another instance than local")
	}
	c.LocalProject, c.RemoteProject = strings.TrimSpace(d.LocalProject), strings.TrimSpace(d.RemoteProject)
	if c.LocalProject == "" {
		errs = append(errs, "local_project: a project key is required")
	}
	if c.RemoteProject == "" {
		errs = append(errs, "remote_project: a project key is required")
	}
	c.LocalIssueTypes, c.RemoteIssueTypes = strings.Join(d.LocalIssueTypes, ","), strings.Join(d.RemoteIssueTypes, ",")
	c.LocalJQL, c.RemoteJQL = strings.TrimSpace(d.LocalJQL), strings.TrimSpace(d.RemoteJQL)
	c.PollIntervalMS = 5000
	if d.PollInterval != "" {
		iv, err := time.ParseDuration(d.PollInterval)
		switch {
		case err != nil:
			errs = append(errs, fmt.Sprintf("poll_interval: %q is not a duration such as 30s or 5m", d.PollInterval))
		case iv < time.Second:
			errs = append(errs, "poll_interval: at least 1s")
		case iv > 24*time.Hour:
			errs = append(errs, "poll_interval: at most 24h")
		default:
			c.PollIntervalMS = int(iv / time.Millisecond)
		}
	}
	c.ConflictPolicy = d.ConflictPolicy
	if c.ConflictPolicy == "" {
		c.ConflictPolicy = models.PolicyNewestWins
	}
	switch c.ConflictPolicy {
	case models.PolicyNewestWins, models.PolicyLocalWins, models.PolicyRemoteWins, models.PolicyManual:
	default:
		errs = append(errs, fmt.Sprintf("conflict_policy: %q is not newest, local, remote or manual", d.ConflictPolicy))
	}
	c.DeletionPolicy = d.DeletionPolicy
	if c.DeletionPolicy == "" {
		c.DeletionPolicy = models.DeleteIgnore
	}
	switch c.DeletionPolicy {
	case models.DeleteIgnore, models.DeleteTwin, models.DeleteUnlink:
	default:
		errs = append(errs, fmt.Sprintf("deletion_policy: %q is not ignore, delete or unlink", d.DeletionPolicy))
	}
	c.Paused = d.Paused
	c.Draft, c.AllowOverlap = d.Draft, d.AllowOverlap
	if d.Rules != nil {
		b, err := json.Marshal(d.Rules)
		if err != nil {
			errs = append(errs, "rules: "+err.Error())
		} else if perr := parseRulesAll(b); len(perr) > 0 {
			for _, e := range perr {
				errs = append(errs, "rules."+e)
			}
		} else {
			c.Rules = string(b) // as written: the export shows it the same way again
		}
	}
	return pc, errs
}

// parseRulesAll decodes rules strictly and returns every problem, not only the first.
func parseRulesAll(b []byte) []string {
	var r engine.Rules
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return []string{strings.TrimPrefix(err.Error(), "json: ")}
	}
	var out []string
	for _, e := range r.Validate() {
		out = append(out, e.Error())
	}
	return out
}

// instanceChanges names the fields that differ between two instance rows.
func instanceChanges(a, b models.Instance) []string {
	var ch []string
	add := func(name string, differ bool) {
		if differ {
			ch = append(ch, name)
		}
	}
	add("base_url", a.BaseURL != b.BaseURL)
	add("role", a.Role != b.Role)
	add("auth_type", a.AuthType != b.AuthType)
	add("username", a.Username != b.Username)
	add("ca_bundle", a.CABundle != b.CABundle)
	add("max_concurrent", a.MaxConcurrent != b.MaxConcurrent)
	add("calls_per_second", a.CallsPerSecond != b.CallsPerSecond)
	return ch
}

// connectionChanges names the fields a planned connection changes on the existing row.
func connectionChanges(old models.Connection, pc plannedConnection, idName map[uint]string) []string {
	n := pc.conn
	var ch []string
	add := func(name string, differ bool) {
		if differ {
			ch = append(ch, name)
		}
	}
	add("local", idName[old.LocalInstanceID] != pc.local)
	add("remote", idName[old.RemoteInstanceID] != pc.remote)
	add("local_project", old.LocalProject != n.LocalProject)
	add("remote_project", old.RemoteProject != n.RemoteProject)
	add("local_issue_types", strings.Join(splitList(old.LocalIssueTypes), ",") != n.LocalIssueTypes)
	add("remote_issue_types", strings.Join(splitList(old.RemoteIssueTypes), ",") != n.RemoteIssueTypes)
	add("local_jql", old.LocalJQL != n.LocalJQL)
	add("remote_jql", old.RemoteJQL != n.RemoteJQL)
	add("poll_interval", old.PollIntervalMS != n.PollIntervalMS)
	add("conflict_policy", old.ConflictPolicy != n.ConflictPolicy)
	add("deletion_policy", old.DeletionPolicy != n.DeletionPolicy)
	add("paused", old.Paused != n.Paused)
	add("draft", old.Draft != n.Draft)
	add("allow_overlap", old.AllowOverlap != n.AllowOverlap)
	add("rules", !sameRules(old.Rules, n.Rules))
	return ch
}

// sameRules compares two rules documents by meaning (empty means the defaults).
func sameRules(a, b string) bool {
	ra, errA := engine.ParseRules(a)
	rb, errB := engine.ParseRules(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return reflect.DeepEqual(ra, rb)
}

// applyImport writes a valid plan in one transaction: instances first (new ones without a
// secret), then connections with their instance names resolved. It returns the counts.
func applyImport(ctx context.Context, db *gorm.DB, p *importPlan) (created, updated int, err error) {
	if !p.preview.Valid() {
		return 0, 0, errors.New("import: the configuration has problems")
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ids := map[string]uint{}
		for _, pi := range p.insts {
			inst := pi.inst
			switch pi.action {
			case views.ImportCreate:
				if err := tx.Create(&inst).Error; err != nil {
					return fmt.Errorf("create instance %s: %w", inst.Name, err)
				}
				created++
			case views.ImportUpdate:
				if err := tx.Save(&inst).Error; err != nil {
					return fmt.Errorf("update instance %s: %w", inst.Name, err)
				}
				updated++
			}
			ids[inst.Name] = inst.ID
		}
		var all []models.Instance
		if err := tx.Select("id", "name").Find(&all).Error; err != nil {
			return fmt.Errorf("list instances: %w", err)
		}
		for _, i := range all {
			if _, ok := ids[i.Name]; !ok {
				ids[i.Name] = i.ID
			}
		}
		for _, pc := range p.conns {
			if pc.action == views.ImportUnchanged {
				continue
			}
			c := pc.conn
			c.LocalInstanceID, c.RemoteInstanceID = ids[pc.local], ids[pc.remote]
			if c.LocalInstanceID == 0 || c.RemoteInstanceID == 0 {
				return fmt.Errorf("connection %s: instance not found", c.Name)
			}
			if pc.action == views.ImportCreate {
				if err := tx.Create(&c).Error; err != nil {
					return fmt.Errorf("create connection %s: %w", c.Name, err)
				}
				created++
				continue
			}
			if err := tx.Save(&c).Error; err != nil {
				return fmt.Errorf("update connection %s: %w", c.Name, err)
			}
			updated++
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("import: %w", err)
	}
	return created, updated, nil
}
