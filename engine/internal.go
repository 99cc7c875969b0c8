package engine

// Internal comments stay home. A service desk's internal note (jira.Comment.Internal: JSM's
// sd.public.comment {"internal": true}, Cloud's jsdPublic false) is not restricted by a group or
// role, so the visibility rule alone would let it leave. It never leaves its side unless the
// connection allows internal comments that way (Rules.Comments.InternalToRemote for local ->
// remote, InternalToLocal for remote -> local). The rule holds next to the visibility rule
// (AllowVisibilities): a comment travels only when both let it.
//
// What that means for each flow of a comment twin (engine/comments.go):
//   - an untwinned comment that is kept home is not copied (and is counted: Twin.*CommentsKeptHome);
//   - an original made internal after it was copied is withdrawn from the other side, as a comment
//     restricted later is;
//   - content never flows out of a kept-home comment: a copy that is internal where it stands
//     (a comment that arrived internal in a service project, or one an agent turned internal) keeps
//     its local edits home, while edits of its source still reach it. A copy made internal is never
//     withdrawn at its origin: that comment belongs to the other side.
//
// Attachments have no visibility of their own; JSM puts a file added with a comment into the
// comment body (!name.png|thumbnail!, !name.png!, [^name.pdf]). An attachment that comments
// reference, none of which may leave, stays home too (see heldAttachments).

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/airlock-sync/airlock/jira"
	"github.com/airlock-sync/airlock/models"
)

// internalMayLeave reports whether internal comments may travel from side `from`.
func internalMayLeave(r *CommentRules, from string) bool {
	if from == models.SideLocal {
		return r.InternalToRemote
	}
	return r.InternalToLocal
}

// visibilityLeaves reports whether a comment's visibility lets it leave: unrestricted, or
// restricted to a group or role listed in AllowVisibilities.
func visibilityLeaves(r *CommentRules, c *jira.Comment) bool {
	if c.Visibility == nil || c.Visibility.Value == "" {
		return true
	}
	for _, a := range r.AllowVisibilities {
		t, name, _ := strings.Cut(a, ":")
		if strings.EqualFold(t, c.Visibility.Type) && strings.EqualFold(name, c.Visibility.Value) {
			return true
		}
	}
	return false
}

// internalKeptHome reports whether c is an internal comment that must stay on side `from`.
func internalKeptHome(r *CommentRules, from string, c *jira.Comment) bool {
	return c.Internal() && !internalMayLeave(r, from)
}

// commentLeaves reports whether a comment of side `from` may leave it at all.
func commentLeaves(r *CommentRules, from string, c *jira.Comment) bool {
	return visibilityLeaves(r, c) && !internalKeptHome(r, from, c)
}

// keptHome reports whether v is an internal comment that stays on its side.
func (r *commentRun) keptHome(v *commentView) bool {
	return internalKeptHome(&r.p.Rules.Comments, v.side.Name, &v.c)
}

// attachmentImageRe finds embedded images, !name.png! and !name.png|thumbnail!; a name never
// starts with white space (so "Wow! Great!" is no image).
var attachmentImageRe = regexp.MustCompile(`!([^\s!|][^!|\n]*?)(?:\|[^!\n]*)?!`)

// attachmentLinkRe finds attachment links, [^name.pdf] and [title|^name.pdf].
var attachmentLinkRe = regexp.MustCompile(`\[(?:[^\]|\n]*\|)?\^([^\]\n]+)\]`)

// attachmentRefs returns the file names a wiki markup text references as attachments.
func attachmentRefs(text string) []string {
	var out []string
	for _, re := range []*regexp.Regexp{attachmentImageRe, attachmentLinkRe} {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			if n := strings.TrimSpace(m[1]); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// heldAttachments returns the names of the attachments of side `from` that stay home because
// comments reference them and none of those comments may leave (internal and not allowed, or
// restricted to a visibility that is not allowed). A file no comment references, or one any
// leaving comment references, is not held.
func heldAttachments(r *CommentRules, from string, cs []jira.Comment) map[string]bool {
	held, freed := map[string]bool{}, map[string]bool{}
	for i := range cs {
		leaves := commentLeaves(r, from, &cs[i])
		for _, n := range attachmentRefs(cs[i].Body) {
			if leaves {
				freed[n] = true
			} else {
				held[n] = true
			}
		}
	}
	for n := range freed {
		delete(held, n)
	}
	return held
}

// recordKeptHome stores how many internal comments stayed on each side, only when it changed.
func (e *Engine) recordKeptHome(ctx context.Context, p *Pair, local, remote int) error {
	tw := p.Twin
	if tw == nil || tw.ID == 0 || (tw.LocalCommentsKeptHome == local && tw.RemoteCommentsKeptHome == remote) {
		return nil
	}
	if err := e.DB.WithContext(ctx).Model(&models.Twin{}).Where("id = ?", tw.ID).
		Updates(map[string]any{"local_comments_kept_home": local, "remote_comments_kept_home": remote}).Error; err != nil {
		return fmt.Errorf("twin %d: internal comments kept home: %w", tw.ID, err)
	}
	tw.LocalCommentsKeptHome, tw.RemoteCommentsKeptHome = local, remote
	return nil
}
