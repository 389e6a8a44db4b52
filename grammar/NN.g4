// The nnc language. The parser is generated from this file at build time;
// frontend/ turns its parse trees into the AST (frontend/AST.h).
grammar NN;

// ---- Files ----------------------------------------------------------------

// A .nn file is a list of declarations, in any order.
file : declaration* EOF ;

declaration : activationDecl | importDecl | modelDecl | trainDecl ;

// activation swish(x; beta = 1.0) = x * sigmoid(beta * x);
// activation prelu(x; learnable a = 0.25) = max(x, 0) + a * min(x, 0);
// activation swiglu(a, b) = swish(a) * b;     (several inputs: a gate)
activationDecl
  : 'activation' name=ident '(' input=ident (',' otherInputs+=ident)* (';' parameter (',' parameter)*)? ')'
    '=' body=expr ';'
  ;

parameter : LEARNABLE? name=ident '=' value=expr ;

// import "activations.nn";   (relative to the importing file)
importDecl : 'import' path=STRING ';' ;

// ---- Models ---------------------------------------------------------------

// A stack:  model mlp { input 784; dense fc1(256, relu); dense out(10); loss cross_entropy; }
// A graph:   model res { input x[784]; h = dense(x, 256, relu); y = h + dense(h, 256, relu);
//                        out = dense(y, 10); loss cross_entropy(out); }
// A layer applied twice (shared weights): layer enc = dense(64, tanh); a = enc(x); b = enc(y);
// Real-valued targets: target y[2]; ... loss mse(out, y);
modelDecl : 'model' name=ident '{' modelItem* '}' ;

modelItem
  : 'input' size=signedNumber ';'                                        # inputItem
  | 'input' name=ident '[' size=signedNumber (',' dims+=signedNumber)* ']' ';'  # namedInputItem
  | 'target' name=ident '[' size=signedNumber ']' ';'                    # targetItem
  | 'dense' name=ident '(' units=signedNumber (',' layerOption)* ')' ';'  # denseItem
  | 'loss' name=ident ('(' value=ident (',' target=ident)? ')')? ';'     # lossItem
  | name=ident '=' value=expr (',' perUnit=PER_UNIT)? ';'                 # valueItem
  | 'layer' name=ident '=' DENSE '(' units=signedNumber (',' layerOption)* ')' ';'  # layerItem
  ;

// relu | leaky_relu(0.05) | swish(beta = 2) | relu: 128 (mixed layers) | per_unit
layerOption
  : PER_UNIT                                                                        # perUnitOption
  | activation=ident ('(' (argument (',' argument)*)? ')')? (':' units=signedNumber)?  # activationOption
  ;

// ---- Training -------------------------------------------------------------

// train mlp { data = idx("images.gz", "labels.gz"); optimizer = adam(lr = 0.001); epochs = 10; }
trainDecl : 'train' model=ident '{' setting* '}' ;

setting : key=ident '=' settingValue ';' ;

settingValue
  : signedNumber                                                             # numberValue
  | STRING                                                                   # stringValue
  | name=ident ('(' (settingArgument (',' settingArgument)*)? ')')?           # callValue
  ;

settingArgument : (key=ident '=')? settingValue ;

signedNumber : sign=('-' | '+')? NUMBER ;

// The words that start model, train and import declarations and model items
// are keywords only where they start one: elsewhere they are ordinary names
// (`activation f(input) = input;` keeps working).
ident : IDENT | IMPORT | MODEL | TRAIN | INPUT | DENSE | LOSS | LAYER | TARGET ;

// A formula on its own (the command line, the REPL).
formula : expr EOF ;

// ---- Formulas, loosest binding first -------------------------------------

expr : lhs=additive (op=('<' | '<=' | '>' | '>=' | '==' | '!=') rhs=additive)? ;

additive
  : additive op=('+' | '-') multiplicative
  | multiplicative
  ;

multiplicative
  : multiplicative op=('*' | '/') unary
  | unary
  ;

// `^` binds tighter than unary minus: -x^2 is -(x^2); x^-2 is allowed.
unary
  : op=('-' | '+') unary
  | power
  ;

// Right-associative: 2^3^2 is 2^(3^2).
power : base=primary ('^' exponent=unary)? ;

primary
  : NUMBER                                       # number
  // A dense layer applied to a value, in a model: dense(x, 256, relu).
  | DENSE '(' input=expr ',' units=signedNumber (',' layerOption)* ')'  # denseCall
  | ident '(' (argument (',' argument)*)? ')'   # call
  | ident                                        # name
  | '(' expr ')'                                 # parens
  ;

// Arguments of activation calls may name a parameter: swish(x, beta = 2).
argument : (name=ident '=')? value=expr ;

// ---- Tokens ---------------------------------------------------------------

LEARNABLE : 'learnable' ;
IMPORT : 'import' ;
MODEL : 'model' ;
TRAIN : 'train' ;
INPUT : 'input' ;
DENSE : 'dense' ;
LOSS : 'loss' ;
LAYER : 'layer' ;
TARGET : 'target' ;
PER_UNIT : 'per_unit' ;
NUMBER : DIGITS ('.' DIGITS?)? EXPONENT? | '.' DIGITS EXPONENT? ;
IDENT : [a-zA-Z_] [a-zA-Z_0-9]* ;
// A file name: no escapes (a path needs none) and no line breaks.
STRING : '"' ~["\r\n]* '"' ;
// A " with no closing " on its line: a token of its own so the error can say so.
UNTERMINATED_STRING : '"' ~["\r\n]* ;
fragment DIGITS : [0-9]+ ;
fragment EXPONENT : [eE] [+-]? DIGITS ;

LINE_COMMENT : ('#' | '//') ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
// A /* with no */ after it: a token of its own so the error can say so.
// (It cannot contain "*/", so it never swallows a terminated comment.)
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF ;
WS : [ \t\r\n]+ -> skip ;
// Any other character becomes a token the parser reports, so the lexer
// itself never fails.
UNEXPECTED_CHAR : . ;
