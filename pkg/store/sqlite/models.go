package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

const modelCols = `name, input_nano_usd, output_nano_usd, cache_read_nano_usd, cache_write_nano_usd,
	reasoning_nano_usd, audio_input_nano_usd, audio_output_nano_usd, image_input_nano_usd,
	request_fee_nano_usd, max_output_tokens, tiers, per_user_rpm, per_user_tpm, per_user_max_concurrency,
	create_time, update_time`

// priceJSON is a Price inside the tiers column; the names match the columns
// (and the Postgres implementation's JSON).
type priceJSON struct {
	Input       int64  `json:"input_nano_usd"`
	Output      int64  `json:"output_nano_usd"`
	CacheRead   *int64 `json:"cache_read_nano_usd,omitempty"`
	CacheWrite  *int64 `json:"cache_write_nano_usd,omitempty"`
	Reasoning   *int64 `json:"reasoning_nano_usd,omitempty"`
	AudioInput  *int64 `json:"audio_input_nano_usd,omitempty"`
	AudioOutput *int64 `json:"audio_output_nano_usd,omitempty"`
	ImageInput  *int64 `json:"image_input_nano_usd,omitempty"`
}

type tierJSON struct {
	AboveInputTokens int64     `json:"above_input_tokens"`
	Price            priceJSON `json:"price"`
}

func priceToJSON(p *adminv1.Price) priceJSON {
	return priceJSON{
		Input: p.GetInputNanoUsd(), Output: p.GetOutputNanoUsd(),
		CacheRead: p.CacheReadNanoUsd, CacheWrite: p.CacheWriteNanoUsd, Reasoning: p.ReasoningNanoUsd,
		AudioInput: p.AudioInputNanoUsd, AudioOutput: p.AudioOutputNanoUsd, ImageInput: p.ImageInputNanoUsd,
	}
}

func (p priceJSON) proto() *adminv1.Price {
	return &adminv1.Price{
		InputNanoUsd: p.Input, OutputNanoUsd: p.Output,
		CacheReadNanoUsd: p.CacheRead, CacheWriteNanoUsd: p.CacheWrite, ReasoningNanoUsd: p.Reasoning,
		AudioInputNanoUsd: p.AudioInput, AudioOutputNanoUsd: p.AudioOutput, ImageInputNanoUsd: p.ImageInput,
	}
}

func scanModel(row scanner) (*adminv1.Model, error) {
	var (
		m                adminv1.Model
		p                = &adminv1.Price{}
		tiers            []tierJSON
		rpm, tpm, conc   *int64
		created, updated int64
	)
	if err := row.Scan(&m.Name, &p.InputNanoUsd, &p.OutputNanoUsd, &p.CacheReadNanoUsd, &p.CacheWriteNanoUsd,
		&p.ReasoningNanoUsd, &p.AudioInputNanoUsd, &p.AudioOutputNanoUsd, &p.ImageInputNanoUsd,
		&m.RequestFeeNanoUsd, &m.MaxOutputTokens, jsonCol{&tiers}, &rpm, &tpm, &conc, &created, &updated); err != nil {
		return nil, err
	}
	m.Price = p
	m.PerUserLimits = limitsOf(rpm, tpm, conc)
	for _, tr := range tiers {
		m.Tiers = append(m.Tiers, &adminv1.PriceTier{AboveInputTokens: tr.AboveInputTokens, Price: tr.Price.proto()})
	}
	m.CreateTime, m.UpdateTime = timeOf(created), timeOf(updated)
	return &m, nil
}

func (t *tx) selectModels(ctx context.Context, tail string, args ...any) ([]*adminv1.Model, error) {
	rows, err := t.q.QueryContext(ctx, "SELECT "+modelCols+" FROM models "+tail, args...)
	return collect(rows, err, scanModel)
}

// modelArgs are ?1..?16: the columns of modelCols up to the per-user
// limits, then now.
func (t *tx) modelArgs(m *adminv1.Model) ([]any, error) {
	tiers := make([]tierJSON, 0, len(m.GetTiers()))
	for _, tr := range m.GetTiers() {
		tiers = append(tiers, tierJSON{AboveInputTokens: tr.GetAboveInputTokens(), Price: priceToJSON(tr.GetPrice())})
	}
	tiersText, err := jsonText(tiers)
	if err != nil {
		return nil, err
	}
	p := m.GetPrice()
	rpm, tpm, conc := limitCols(m.GetPerUserLimits())
	return []any{m.GetName(), p.GetInputNanoUsd(), p.GetOutputNanoUsd(), p.CacheReadNanoUsd, p.CacheWriteNanoUsd,
		p.ReasoningNanoUsd, p.AudioInputNanoUsd, p.AudioOutputNanoUsd, p.ImageInputNanoUsd,
		m.RequestFeeNanoUsd, m.GetMaxOutputTokens(), tiersText, rpm, tpm, conc, t.now}, nil
}

func (t *tx) CreateModel(ctx context.Context, m *adminv1.Model) (*adminv1.Model, error) {
	args, err := t.modelArgs(m)
	if err != nil {
		return nil, err
	}
	out, err := scanModel(t.q.QueryRowContext(ctx, `
		INSERT INTO models (name, input_nano_usd, output_nano_usd, cache_read_nano_usd, cache_write_nano_usd,
			reasoning_nano_usd, audio_input_nano_usd, audio_output_nano_usd, image_input_nano_usd,
			request_fee_nano_usd, max_output_tokens, tiers, per_user_rpm, per_user_tpm, per_user_max_concurrency,
			create_time, update_time)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)
		ON CONFLICT (name) DO NOTHING RETURNING `+modelCols, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: model %q", store.ErrAlreadyExists, m.GetName())
	}
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("model %q", m.GetName()), store.ErrNotFound)
	}
	t.touch(store.KindModel, out.Name)
	return out, nil
}

func (t *tx) GetModel(ctx context.Context, name string) (*adminv1.Model, error) {
	m, err := scanModel(t.q.QueryRowContext(ctx, "SELECT "+modelCols+" FROM models WHERE name = ?", name))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("model %q", name), store.ErrNotFound)
	}
	return m, nil
}

func (t *tx) ListModels(ctx context.Context, p store.Page) ([]*adminv1.Model, error) {
	out, err := t.selectModels(ctx, "WHERE name > ? ORDER BY name LIMIT ?", p.After, store.PageSize(p))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list models: %w", err)
	}
	return out, nil
}

func (t *tx) UpdateModel(ctx context.Context, m *adminv1.Model) (*adminv1.Model, error) {
	args, err := t.modelArgs(m)
	if err != nil {
		return nil, err
	}
	out, err := scanModel(t.q.QueryRowContext(ctx, `
		UPDATE models SET input_nano_usd = ?2, output_nano_usd = ?3, cache_read_nano_usd = ?4,
			cache_write_nano_usd = ?5, reasoning_nano_usd = ?6, audio_input_nano_usd = ?7,
			audio_output_nano_usd = ?8, image_input_nano_usd = ?9, request_fee_nano_usd = ?10,
			max_output_tokens = ?11, tiers = ?12, per_user_rpm = ?13, per_user_tpm = ?14,
			per_user_max_concurrency = ?15, update_time = ?16
		WHERE name = ?1 RETURNING `+modelCols, args...))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("model %q", m.GetName()), store.ErrNotFound)
	}
	t.touch(store.KindModel, out.Name)
	return out, nil
}

func (t *tx) DeleteModel(ctx context.Context, name string) error {
	n, err := affected(t.q.ExecContext(ctx, "DELETE FROM models WHERE name = ?", name))
	if err != nil {
		return mapErr(err, fmt.Sprintf("model %q", name), store.ErrInUse)
	}
	if n == 0 {
		return fmt.Errorf("%w: model %q", store.ErrNotFound, name)
	}
	t.touch(store.KindModel, name)
	return nil
}
